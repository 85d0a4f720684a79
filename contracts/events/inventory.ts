import { Type, type Static } from 'typebox';
import { OrderLine, Reason, Timestamp, Uuid } from './common.ts';
import { event } from '@meridian/messaging';
import { InventoryLevelsTopic, InventoryStockTopic } from '../topics.ts';

/** Topic `inventory.stock`: reservation events keyed by orderId. Topic `inventory.levels`: StockLevelChanged keyed by productId. */
export const StockReservedV1 = Type.Object({
  orderId: Uuid,
  items: Type.Array(OrderLine, { minItems: 1 }),
  expiresAt: Timestamp,
});
export type StockReservedV1 = Static<typeof StockReservedV1>;

export const StockRejectedV1 = Type.Object({
  orderId: Uuid,
  reason: Reason,
  shortages: Type.Array(
    Type.Object({ productId: Uuid, requested: Type.Integer({ minimum: 1 }), available: Type.Integer({ minimum: 0 }) }),
  ),
});
export type StockRejectedV1 = Static<typeof StockRejectedV1>;

export const StockReleasedV1 = Type.Object({ orderId: Uuid, reason: Reason, items: Type.Array(OrderLine) });
export type StockReleasedV1 = Static<typeof StockReleasedV1>;

export const StockLevelChangedV1 = Type.Object({
  productId: Uuid,
  available: Type.Integer({ minimum: 0 }),
  reserved: Type.Integer({ minimum: 0 }),
});
export type StockLevelChangedV1 = Static<typeof StockLevelChangedV1>;

export const StockReserved = event({ topic: InventoryStockTopic, type: 'StockReserved', versions: { 1: StockReservedV1 } });
export const StockRejected = event({ topic: InventoryStockTopic, type: 'StockRejected', versions: { 1: StockRejectedV1 } });
export const StockReleased = event({ topic: InventoryStockTopic, type: 'StockReleased', versions: { 1: StockReleasedV1 } });
export const StockLevelChanged = event({ topic: InventoryLevelsTopic, type: 'StockLevelChanged', versions: { 1: StockLevelChangedV1 } });
