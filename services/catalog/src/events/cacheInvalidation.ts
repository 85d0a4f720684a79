import type { ProductCache } from '../productCache.ts';

interface ProductEvent {
  data: { productId: string };
}

/**
 * Handlers for the catalog's own `catalog.products` events: each drops the product's cached entry
 * and retires every cached list page, so reads after a change see it within moments of the relay.
 */
export function cacheInvalidationHandlers(cache: ProductCache) {
  const invalidate = (event: ProductEvent) => cache.invalidate(event.data.productId);
  return {
    ProductCreated: invalidate,
    ProductUpdated: invalidate,
    ProductDeactivated: invalidate,
  };
}
