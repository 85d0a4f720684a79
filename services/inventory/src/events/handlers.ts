import { OrderCancelled, OrderConfirmed, OrderPlaced } from '@meridian/contracts';
import type { Logger } from '@meridian/log';
import { on, type Subscription } from '@meridian/messaging';
import type { Inventory } from '../inventory.ts';

/** Saga handlers on `orders.events`, run by the idempotent consumer inside its transaction. */
export function orderEventSubscriptions(inventory: Inventory, log: Logger): Subscription[] {
  return [
    // v1 and v2 share every field inventory reads (v2 only adds customerEmail).
    on(OrderPlaced, async (event, tx) => {
      const { orderId, items } = event.data;
      const outcome = await inventory.reserve(tx, orderId, items);
      log.info({ orderId, outcome }, 'order stock decided');
    }),
    on(OrderConfirmed, async (event, tx) => {
      const { orderId } = event.data;
      if (!(await inventory.commit(tx, orderId))) {
        log.warn({ orderId }, 'order confirmed without an active reservation; nothing committed');
      }
    }),
    on(OrderCancelled, async (event, tx) => {
      const { orderId } = event.data;
      const released = await inventory.release(tx, orderId, 'order_cancelled');
      log.info({ orderId, released }, 'order cancelled');
    }),
  ];
}
