import { ProductCreated, ProductDeactivated, ProductUpdated } from '@meridian/contracts';
import { on, type Subscription } from '@meridian/messaging';
import type { ProductCache } from '../productCache.ts';

/**
 * The catalog's own `catalog.products` events: each drops the product's cached entry and retires
 * every cached list page, so reads after a change see it within moments of the relay.
 */
export function cacheInvalidationSubscriptions(cache: ProductCache): Subscription[] {
  const invalidate = (event: { data: { productId: string } }) => cache.invalidate(event.data.productId);
  return [on(ProductCreated, invalidate), on(ProductUpdated, invalidate), on(ProductDeactivated, invalidate)];
}
