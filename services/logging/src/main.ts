import { runService } from '@meridian/service';
import { loggingService } from './service.ts';

await runService(loggingService());
