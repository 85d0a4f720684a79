import { runService } from '@meridian/service';
import { catalogService } from './service.ts';

await runService(catalogService);
