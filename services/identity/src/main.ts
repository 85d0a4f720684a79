import { runService } from '@meridian/service';
import { identityService } from './service.ts';

await runService(identityService);
