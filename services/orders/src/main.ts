import { runService } from '@meridian/service';
import { ordersService } from './service.ts';

await runService(ordersService());
