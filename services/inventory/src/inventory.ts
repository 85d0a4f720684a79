import type postgres from 'postgres';
import { planReservation, releaseTotals, reservationExpiry, type Line } from './domain/reservation.ts';
import * as q from './db/queries.ts';
import type { InventoryEvents } from './events/publish.ts';

export type ReserveOutcome = 'reserved' | 'rejected' | 'duplicate';

/**
 * Inventory's state changes. Each runs inside the given transaction and writes its events
 * through the outbox in that same transaction.
 */
export function createInventory(deps: { events: InventoryEvents; reservationTtlSeconds: number }) {
  const { events, reservationTtlSeconds } = deps;

  // Statements of one step that do not depend on each other are sent together (one round trip):
  // postgres runs them in order, and a failure in any fails the step's transaction. A step's events
  // are one insert. (One set-based stock update per step instead of one per line cost PostgreSQL 1.15x
  // the CPU in the inventory micro-benchmark, so the lines stay separate statements.)
  const levelsChanged = (levels: readonly q.StockLevel[]) => levels.map((level) => events.stockLevelChanged(level));

  /** Reserves every line of the order or nothing; the order is decided once. */
  async function reserve(tx: q.Tx, orderId: string, lines: readonly Line[], now = new Date()): Promise<ReserveOutcome> {
    const available = await q.lockAvailable(tx, lines.map((l) => l.productId));
    const plan = planReservation(lines, available);
    if (!plan.ok) {
      const recorded = await q.insertReservation(tx, { orderId, status: 'rejected', expiresAt: null, items: [] });
      if (!recorded) return 'duplicate';
      await events.write(tx, [events.stockRejected({ orderId, reason: 'insufficient_stock', shortages: plan.shortages })]);
      return 'rejected';
    }
    const expiresAt = reservationExpiry(now, reservationTtlSeconds);
    const recorded = await q.insertReservation(tx, { orderId, status: 'reserved', expiresAt, items: plan.lines });
    if (!recorded) return 'duplicate';
    const reserved = await Promise.all(plan.lines.map((line) => q.reserveStock(tx, line)));
    const levels = reserved.map((level, i) => {
      // Unreachable while the rows are locked; throwing rolls the whole reservation back.
      if (!level) throw new Error(`stock of ${plan.lines[i].productId} changed under lock`);
      return level;
    });
    await events.write(tx, [events.stockReserved({ orderId, items: plan.lines, expiresAt: expiresAt.toISOString() }), ...levelsChanged(levels)]);
    return 'reserved';
  }

  /** The order was paid: its reserved units are sold. False when nothing was reserved for it. */
  async function commit(tx: q.Tx, orderId: string): Promise<boolean> {
    const items = await q.finishReservation(tx, orderId, 'committed');
    if (!items) return false;
    const levels = await Promise.all(items.map((line) => q.commitStock(tx, line)));
    await events.write(tx, levelsChanged(levels));
    return true;
  }

  /** Returns the order's reserved units to available, once. False when nothing was reserved. */
  async function release(tx: q.Tx, orderId: string, reason: string): Promise<boolean> {
    const items = await q.finishReservation(tx, orderId, 'released');
    if (!items) return false;
    const levels = await Promise.all(items.map((line) => q.releaseStock(tx, line)));
    await events.write(tx, [events.stockReleased({ orderId, reason, items }), ...levelsChanged(levels)]);
    return true;
  }

  /** Releases up to `limit` expired reservations in one transaction; returns how many. */
  async function expireDue(sql: postgres.Sql, limit: number): Promise<number> {
    return sql.begin(async (tx) => {
      const expired = await q.expireDue(tx, limit);
      if (expired.length === 0) return 0;
      const levels = await Promise.all(releaseTotals(expired).map((line) => q.releaseStock(tx, line)));
      await events.write(tx, [
        ...expired.map((r) => events.stockReleased({ orderId: r.orderId, reason: 'reservation_expired', items: r.items })),
        ...levelsChanged(levels),
      ]);
      return expired.length;
    });
  }

  async function setAvailable(sql: postgres.Sql, productId: string, available: number): Promise<q.StockLevel> {
    return sql.begin(async (tx) => {
      const level = await q.setAvailable(tx, productId, available);
      await events.write(tx, [events.stockLevelChanged(level)]);
      return level;
    });
  }

  return { reserve, commit, release, expireDue, setAvailable };
}

export type Inventory = ReturnType<typeof createInventory>;
