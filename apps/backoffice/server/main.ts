import { fileURLToPath } from 'node:url';
import { runService } from '@meridian/service';
import { webAppService } from '../../shared/server/webApp.ts';

// The back office needs no server state of its own: its server only serves the app and the API.
await runService(
  webAppService({
    name: 'backoffice',
    version: '1.0.0',
    description: 'Serves the back-office web app and proxies /api to the gateway',
    defaultPort: 3001,
    distDir: fileURLToPath(new URL('../dist/', import.meta.url)),
  }),
);
