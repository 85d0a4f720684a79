import { runService } from '@meridian/service';
import { opsConsoleService } from './service.ts';

await runService(opsConsoleService());
