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
import type { Outbox } from '@meridian/messaging';
import type { Tx } from '../db/queries.ts';

/** The events inventory publishes, each written through the outbox in the caller's transaction. */
export const inventoryEventTypes = [StockReserved, StockRejected, StockReleased, StockLevelChanged];

export function inventoryEvents(outbox: Outbox) {
  return {
    stockReserved: (tx: Tx, data: StockReservedV1) => outbox.add(tx, StockReserved.v1, data.orderId, data),
    stockRejected: (tx: Tx, data: StockRejectedV1) => outbox.add(tx, StockRejected.v1, data.orderId, data),
    stockReleased: (tx: Tx, data: StockReleasedV1) => outbox.add(tx, StockReleased.v1, data.orderId, data),
    stockLevelChanged: (tx: Tx, data: StockLevelChangedV1) => outbox.add(tx, StockLevelChanged.v1, data.productId, data),
  };
}

export type InventoryEvents = ReturnType<typeof inventoryEvents>;
