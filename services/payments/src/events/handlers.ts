import type { OrderPlacedV2, StockReservedV1 } from '@meridian/contracts';
import type { EventEnvelope } from '@meridian/messaging';
import type { Tx } from '../db/queries.ts';
import type { Payments } from '../payments.ts';

export function orderEventHandlers(payments: Payments) {
  return {
    // v1 and v2 share every field payments reads (v2 only adds customerEmail).
    async OrderPlaced(event: EventEnvelope<OrderPlacedV2>, tx: Tx) {
      await payments.orderPlaced(tx, event.data);
    },
  };
}

export function stockEventHandlers(payments: Payments) {
  return {
    async StockReserved(event: EventEnvelope<StockReservedV1>, tx: Tx) {
      await payments.stockReserved(tx, event.data.orderId);
    },
  };
}
