import { fileURLToPath } from 'node:url';
import { Type } from 'typebox';
import type { ServiceDefinition } from '@meridian/service';
import { webAppService } from '../../shared/server/webApp.ts';

const AppConfig = Type.Object({
  opsConsoleUrl: Type.Union([Type.String(), Type.Null()], { description: 'A ready ops-console instance, if any' }),
  zipkinUrl: Type.Union([Type.String(), Type.Null()], { description: 'The Zipkin server receiving every span, if tracing runs' }),
});
const defaultDistDir = fileURLToPath(new URL('../dist/', import.meta.url));

/**
 * The back office's server: the app, `/api` proxied to the gateway, and `/app-api/config`, which tells
 * the app where the ops console is (found in discovery) and Zipkin, so an order page can link to its logs and trace.
 */
export function backofficeService(options: { distDir?: string } = {}): ServiceDefinition {
  return webAppService({
    name: 'backoffice',
    version: '1.0.0',
    description: 'Serves the back-office web app and proxies /api to the gateway',
    defaultPort: 3001,
    distDir: options.distDir ?? defaultDistDir,
    routes(app, ctx) {
      app.get(
        '/app-api/config',
        {
          preHandler: ctx.auth.requireStaff,
          schema: { tags: ['app'], summary: 'Where the other staff apps are', description: 'Staff only. The URLs of the ops console and the other staff tools, so the back office can link to them.', security: [{ bearerAuth: [] }], response: { 200: AppConfig } },
        },
        async () => ({ opsConsoleUrl: ctx.resolver.resolve('ops-console')?.url ?? null, zipkinUrl: ctx.platform.ZIPKIN_URL ?? null }),
      );
    },
  });
}
