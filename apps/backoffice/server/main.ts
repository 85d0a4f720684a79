import { runService } from '@meridian/service';
import { backofficeService } from './service.ts';

await runService(backofficeService());
