import { webAppConfig } from '../shared/vite.ts';

export default webAppConfig({
  configUrl: import.meta.url,
  server: { env: 'OPS_URL', url: 'http://127.0.0.1:3002' },
  proxied: ['/api', '/ops-api'],
  noscript: 'The ops console needs JavaScript.',
});
