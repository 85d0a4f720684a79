import {
  topics,
  type StockLevelChangedV1,
  type StockRejectedV1,
  type StockReleasedV1,
  type StockReservedV1,
} from '@meridian/contracts';
import type { Outbox } from '@meridian/messaging';
import type { Tx } from '../db/queries.ts';

/** The events inventory publishes, each written through the outbox in the caller's transaction. */
export function inventoryEvents(outbox: Outbox) {
  const add = (tx: Tx, type: string, key: string, data: unknown) =>
    outbox.add(tx, { topic: topics.inventoryStock, type, version: 1, key, data });
  return {
    stockReserved: (tx: Tx, data: StockReservedV1) => add(tx, 'StockReserved', data.orderId, data),
    stockRejected: (tx: Tx, data: StockRejectedV1) => add(tx, 'StockRejected', data.orderId, data),
    stockReleased: (tx: Tx, data: StockReleasedV1) => add(tx, 'StockReleased', data.orderId, data),
    stockLevelChanged: (tx: Tx, data: StockLevelChangedV1) => add(tx, 'StockLevelChanged', data.productId, data),
  };
}

export type InventoryEvents = ReturnType<typeof inventoryEvents>;
