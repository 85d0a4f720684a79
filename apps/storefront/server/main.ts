import { runService } from '@meridian/service';
import { storefrontService } from './service.ts';

await runService(storefrontService());
