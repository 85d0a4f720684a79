import { webAppConfig } from '../shared/vite.ts';

export default webAppConfig({
  configUrl: import.meta.url,
  server: { env: 'BACKOFFICE_URL', url: 'http://127.0.0.1:3001' },
  proxied: ['/api', '/app-api'],
  noscript: 'The back office needs JavaScript.',
});
