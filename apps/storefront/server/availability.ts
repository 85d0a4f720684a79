import { Type, type Static } from 'typebox';

/** Below this many units a product shows "only N left". */
export const lowStockThreshold = 5;
export const maxAvailabilityIds = 100;

export const Availability = Type.Object({
  productId: Type.String({ format: 'uuid' }),
  status: Type.Union([Type.Literal('in_stock'), Type.Literal('low'), Type.Literal('out_of_stock')], {
    description: `\`low\`: ${lowStockThreshold} units or fewer can still be ordered (\`left\` says how many)`,
  }),
  left: Type.Optional(Type.Integer({ minimum: 1, maximum: lowStockThreshold })),
});
export type Availability = Static<typeof Availability>;

/** One product's stock as inventory reports it (`GET /api/v1/inventory?productIds=`). */
export interface StockLevel {
  productId: string;
  available: number;
}

/** What a shopper is told about `available` units: never the exact count of a well-stocked product. */
export function availabilityOf(productId: string, available: number): Availability {
  if (available <= 0) return { productId, status: 'out_of_stock' };
  if (available <= lowStockThreshold) return { productId, status: 'low', left: available };
  return { productId, status: 'in_stock' };
}

export interface AvailabilityOptions {
  /** Stock of these products; products never stocked are left out (they are out of stock). */
  fetchLevels(productIds: string[]): Promise<StockLevel[]>;
  /** How long a level is reused; a shopper may see it this much behind. */
  ttlMs?: number;
  /** Entries kept at most; the oldest half is dropped past it. */
  maxEntries?: number;
  now?: () => number;
}

/**
 * Availability for product cards and pages, cheap under load: each level is reused for `ttlMs`, the
 * misses of one call go to inventory in one batched read, and concurrent calls share a pending read
 * for the same product. Inventory's answer at checkout is the one that counts; this is a display.
 */
export function createAvailability({ fetchLevels, ttlMs = 3000, maxEntries = 10_000, now = Date.now }: AvailabilityOptions) {
  const known = new Map<string, { value: Availability; expiresAt: number }>();
  const pending = new Map<string, Promise<Availability>>();

  function remember(value: Availability): void {
    if (known.size >= maxEntries) {
      let drop = Math.ceil(maxEntries / 2);
      for (const key of known.keys()) {
        known.delete(key);
        if (--drop === 0) break;
      }
    }
    known.set(value.productId, { value, expiresAt: now() + ttlMs });
  }

  function load(ids: string[]): void {
    const read = fetchLevels(ids).then((levels) => {
      const byId = new Map(levels.map((level) => [level.productId, level.available]));
      const values = new Map(ids.map((id) => [id, availabilityOf(id, byId.get(id) ?? 0)]));
      for (const value of values.values()) remember(value);
      return values;
    });
    for (const id of ids) {
      const one = read.then((values) => values.get(id)!);
      pending.set(id, one);
      const forget = () => pending.delete(id);
      one.then(forget, forget);
    }
  }

  return {
    async get(productIds: readonly string[]): Promise<Availability[]> {
      const ids = [...new Set(productIds)];
      const at = now();
      const misses = ids.filter((id) => !pending.has(id) && !((known.get(id)?.expiresAt ?? 0) > at));
      if (misses.length > 0) load(misses);
      return Promise.all(ids.map((id) => pending.get(id) ?? Promise.resolve(known.get(id)!.value)));
    },
  };
}
