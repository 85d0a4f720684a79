import {
  StockLevelChanged,
  type StockLevelChangedV1,
  StockRejected,
  type StockRejectedV1,
  StockReleased,
  type StockReleasedV1,
  StockReserved,
  type StockReservedV1,
} from '@meridian/contracts';
import { type Outbox, type PreparedEvent, writeEvents } from '@meridian/messaging';
import type { Tx } from '../db/queries.ts';

/** The events inventory publishes, each written through the outbox in the caller's transaction. */
export const inventoryEventTypes = [StockReserved, StockRejected, StockReleased, StockLevelChanged];

/**
 * Each builds a validated event; `write(tx, events)` inserts a step's events in one statement (a
 * reservation and the stock levels it changed are one insert, not one per product).
 */
export function inventoryEvents(outbox: Outbox) {
  return {
    stockReserved: (data: StockReservedV1) => outbox.prepare(StockReserved.v1, data.orderId, data),
    stockRejected: (data: StockRejectedV1) => outbox.prepare(StockRejected.v1, data.orderId, data),
    stockReleased: (data: StockReleasedV1) => outbox.prepare(StockReleased.v1, data.orderId, data),
    stockLevelChanged: (data: StockLevelChangedV1) => outbox.prepare(StockLevelChanged.v1, data.productId, data),
    write: (tx: Tx, events: readonly PreparedEvent<unknown>[]) => writeEvents(tx, events),
  };
}

export type InventoryEvents = ReturnType<typeof inventoryEvents>;
