/** The catalog service definition, run by `main.ts` and started in-process by the integration tests. */
import { fileURLToPath } from 'node:url';
import { Type } from 'typebox';
import type { ServiceContext, ServiceDefinition } from '@meridian/service';
import { registerCategoryRoutes } from './api/categories.ts';
import { registerProductRoutes } from './api/products.ts';
import { cacheInvalidationSubscriptions } from './events/cacheInvalidation.ts';
import { catalogEvents } from './events/publish.ts';
import { createProductCache, type ProductCache } from './productCache.ts';

export const catalogConfig = {
  PRODUCT_CACHE_TTL_SECONDS: Type.Integer({ default: 300, minimum: 1 }),
  PRODUCT_LIST_CACHE_TTL_SECONDS: Type.Integer({ default: 60, minimum: 1 }),
};

type Ctx = ServiceContext<typeof catalogConfig>;

function productCache(ctx: Ctx): ProductCache {
  return createProductCache({
    cache: ctx.cache!,
    redis: ctx.redis!,
    generationKey: `${ctx.config.MERIDIAN_NAMESPACE}:catalog:list-generation`,
    productTtlSeconds: ctx.config.PRODUCT_CACHE_TTL_SECONDS,
    pageTtlSeconds: ctx.config.PRODUCT_LIST_CACHE_TTL_SECONDS,
  });
}

export const catalogService: ServiceDefinition<typeof catalogConfig> = {
  name: 'catalog',
  version: '1.0.0',
  apiVersions: ['v1', 'v2'],
  configSchema: catalogConfig,
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  produces: catalogEvents,
  consumes: catalogEvents,
  redis: true,
  openapi: { title: 'Meridian catalog', description: 'Products: search, categories and staff maintenance. API v1 is deprecated in favour of v2.' },

  consumers: (ctx) => [
    // The catalog reads its own events to invalidate its read cache once a change is committed and published.
    { name: 'cache-invalidation', on: cacheInvalidationSubscriptions(productCache(ctx)) },
  ],

  routes(app, ctx) {
    registerProductRoutes(app, { sql: ctx.sql, outbox: ctx.outbox, auth: ctx.auth, cache: productCache(ctx) });
    registerCategoryRoutes(app, ctx.sql);
  },
};
