import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Product } from './domain/product.ts';
import type { ProductQuery } from './db/products.ts';

/** The part of `@meridian/cache` the catalog uses. */
export interface Cache {
  getOrLoad<T>(key: string, loader: () => Promise<T>, ttlSeconds?: number): Promise<T>;
  del(key: string): Promise<unknown>;
}

export interface ProductPage {
  items: Product[];
  hasMore: boolean;
}

export interface ProductCache {
  product(id: string, load: () => Promise<Product | null>): Promise<Product | null>;
  page(query: ProductQuery, load: () => Promise<ProductPage>): Promise<ProductPage>;
  /** Drops the product's entry and every cached list page (by bumping the list generation). */
  invalidate(productId: string): Promise<void>;
}

interface Options {
  cache: Cache;
  redis: Redis;
  /** Redis key of the list generation counter, e.g. `dev:catalog:list-generation`. */
  generationKey: string;
  productTtlSeconds: number;
  pageTtlSeconds: number;
}

/**
 * Cache-aside for products by id and for list pages. A list page's key embeds the current list
 * generation, so bumping it retires every page at once (old pages then just expire).
 */
export function createProductCache({ cache, redis, generationKey, productTtlSeconds, pageTtlSeconds }: Options): ProductCache {
  return {
    product: (id, load) => cache.getOrLoad(`product:${id}`, load, productTtlSeconds),

    async page(query, load) {
      let generation: string;
      try {
        generation = (await redis.get(generationKey)) ?? '0';
      } catch {
        return load(); // Redis down: serve from the database.
      }
      const queryHash = createHash('sha256').update(JSON.stringify(query)).digest('base64url');
      return cache.getOrLoad(`products:${generation}:${queryHash}`, load, pageTtlSeconds);
    },

    async invalidate(productId) {
      await cache.del(`product:${productId}`);
      await redis.incr(generationKey);
    },
  };
}
