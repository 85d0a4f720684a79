import { runService } from '@meridian/service';
import { paymentsService } from './service.ts';

await runService(paymentsService());
