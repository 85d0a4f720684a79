import { Type, type TProperties } from 'typebox';
import type { App } from '@meridian/http';
import type { ServiceContext, ServiceDefinition } from '@meridian/service';
import { proxyApiToGateway } from './gatewayProxy.ts';
import { serveSinglePageApp } from './static.ts';

export interface WebAppOptions {
  /** Service name in discovery, e.g. `storefront`. */
  name: string;
  version: string;
  description: string;
  /** Port when `PORT` is unset. */
  defaultPort: number;
  /** The Vite build output. */
  distDir: string;
  redis?: boolean;
  /** The app's own settings, beside PORT and the platform's. */
  configSchema?: TProperties;
  /** The app's own backend routes (added before the API proxy and the static files). */
  routes?: (app: App, ctx: ServiceContext) => void | Promise<void>;
  onStart?: (ctx: ServiceContext) => void | Promise<void>;
  onStop?: (ctx: ServiceContext) => void | Promise<void>;
}

/**
 * A web app's server on the service chassis: its own routes, `/api/*` proxied to the gateway found
 * through discovery, and the built single-page app for every other GET. No database, no outbox.
 */
export function webAppService(options: WebAppOptions): ServiceDefinition {
  return {
    name: options.name,
    version: options.version,
    configSchema: { PORT: Type.Integer({ default: options.defaultPort, minimum: 0, maximum: 65535 }), ...options.configSchema },
    redis: options.redis ?? false,
    relay: false,
    openapi: { title: `${options.name} app server`, description: options.description },
    async routes(app, ctx) {
      await options.routes?.(app, ctx);
      proxyApiToGateway(app, ctx.serviceClient('gateway'));
      serveSinglePageApp(app, options.distDir);
    },
    onStart: options.onStart,
    onStop: options.onStop,
  };
}
