import { webAppConfig } from '../shared/vite.ts';

export default webAppConfig({
  configUrl: import.meta.url,
  server: { env: 'STOREFRONT_URL', url: 'http://127.0.0.1:3000' },
  proxied: ['/api', '/app-api'],
  noscript: 'The Meridian shop needs JavaScript.',
});
