/** Pure reservation rules: no I/O, so they are unit-tested on their own. */

export interface Line {
  productId: string;
  quantity: number;
}

export interface Shortage {
  productId: string;
  requested: number;
  available: number;
}

export type ReservationPlan = { ok: true; lines: Line[] } | { ok: false; shortages: Shortage[] };

export type ReservationStatus = 'reserved' | 'committed' | 'released' | 'expired' | 'rejected';

/**
 * One line per product (quantities summed), sorted by productId: the stable order in which
 * stock rows are locked and updated, so concurrent reservations never deadlock.
 */
export function mergeLines(lines: readonly Line[]): Line[] {
  const totals = new Map<string, number>();
  for (const { productId, quantity } of lines) totals.set(productId, (totals.get(productId) ?? 0) + quantity);
  return [...totals]
    .map(([productId, quantity]) => ({ productId, quantity }))
    .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
}

/**
 * All-or-nothing: reserve every line when each product has enough available stock,
 * otherwise report every short line and reserve nothing. Unknown products have 0 available.
 */
export function planReservation(lines: readonly Line[], available: ReadonlyMap<string, number>): ReservationPlan {
  const merged = mergeLines(lines);
  const shortages = merged
    .map(({ productId, quantity }) => ({ productId, requested: quantity, available: available.get(productId) ?? 0 }))
    .filter((s) => s.requested > s.available);
  return shortages.length === 0 ? { ok: true, lines: merged } : { ok: false, shortages };
}

/**
 * Net stock change per product for a set of released reservations, sorted by productId.
 * Releasing moves quantity from reserved back to available.
 */
export function releaseTotals(reservations: readonly { items: readonly Line[] }[]): Line[] {
  return mergeLines(reservations.flatMap((r) => r.items));
}

export function reservationExpiry(now: Date, ttlSeconds: number): Date {
  return new Date(now.getTime() + ttlSeconds * 1000);
}
