import type { OrderCancelledV1, OrderConfirmedV1, OrderPlacedV2 } from '@meridian/contracts';
import type { Logger } from '@meridian/log';
import type { EventEnvelope } from '@meridian/messaging';
import type { Tx } from '../db/queries.ts';
import type { Inventory } from '../inventory.ts';

/** Saga handlers on `orders.events`, run by the idempotent consumer inside its transaction. */
export function orderEventHandlers(inventory: Inventory, log: Logger) {
  return {
    // v1 and v2 share every field inventory reads (v2 only adds customerEmail).
    async OrderPlaced(event: EventEnvelope<OrderPlacedV2>, tx: Tx) {
      const { orderId, items } = event.data;
      const outcome = await inventory.reserve(tx, orderId, items);
      log.info({ orderId, outcome }, 'order stock decided');
    },
    async OrderConfirmed(event: EventEnvelope<OrderConfirmedV1>, tx: Tx) {
      const { orderId } = event.data;
      if (!(await inventory.commit(tx, orderId))) {
        log.warn({ orderId }, 'order confirmed without an active reservation; nothing committed');
      }
    },
    async OrderCancelled(event: EventEnvelope<OrderCancelledV1>, tx: Tx) {
      const { orderId } = event.data;
      const released = await inventory.release(tx, orderId, 'order_cancelled');
      log.info({ orderId, released }, 'order cancelled');
    },
  };
}
