import type { Redis } from 'ioredis';
import { Type, type Static } from 'typebox';

export const maxCartLines = 50;
export const maxLineQuantity = 1000;

export const CartLine = Type.Object(
  {
    productId: Type.String({ format: 'uuid' }),
    quantity: Type.Integer({ minimum: 1, maximum: maxLineQuantity }),
  },
  { additionalProperties: false },
);
export type CartLine = Static<typeof CartLine>;

export const Cart = Type.Object({ items: Type.Array(CartLine, { maxItems: maxCartLines }) });
export type Cart = Static<typeof Cart>;

export const CartBody = Type.Object({ items: Type.Array(CartLine, { maxItems: maxCartLines }) }, { additionalProperties: false });

export class CartError extends Error {
  override name = 'CartError';
}

/** Merges lines of the same product (summing quantities) keeping first-seen order. */
export function normalizeCart(items: readonly CartLine[]): CartLine[] {
  const byProduct = new Map<string, number>();
  for (const { productId, quantity } of items) byProduct.set(productId, (byProduct.get(productId) ?? 0) + quantity);
  const lines = [...byProduct].map(([productId, quantity]) => ({ productId, quantity }));
  const tooMany = lines.find((line) => line.quantity > maxLineQuantity);
  if (tooMany) throw new CartError(`At most ${maxLineQuantity.toLocaleString('en')} of one product fit in a cart`);
  if (lines.length > maxCartLines) throw new CartError(`A cart holds at most ${maxCartLines} different products`);
  return lines;
}

/**
 * Carts in Redis, one JSON value per user at `<prefix>:cart:<userId>`, kept `ttlSeconds` after the
 * last change. A cart is replaced whole: the browser holds the lines it shows.
 */
export function createCartStore(redis: Redis, { prefix, ttlSeconds = 30 * 24 * 3600 }: { prefix: string; ttlSeconds?: number }) {
  const keyOf = (userId: string) => `${prefix}:cart:${userId}`;
  return {
    async get(userId: string): Promise<Cart> {
      const stored = await redis.get(keyOf(userId));
      return stored ? (JSON.parse(stored) as Cart) : { items: [] };
    },
    async put(userId: string, items: readonly CartLine[]): Promise<Cart> {
      const cart = { items: normalizeCart(items) };
      if (cart.items.length === 0) await redis.del(keyOf(userId));
      else await redis.set(keyOf(userId), JSON.stringify(cart), 'EX', ttlSeconds);
      return cart;
    },
    async clear(userId: string): Promise<void> {
      await redis.del(keyOf(userId));
    },
  };
}
export type CartStore = ReturnType<typeof createCartStore>;
