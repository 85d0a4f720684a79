import { runService } from '@meridian/service';
import { notificationsService } from './service.ts';

await runService(notificationsService());
