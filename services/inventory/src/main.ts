import { runService } from '@meridian/service';
import { inventoryService } from './service.ts';

await runService(inventoryService());
