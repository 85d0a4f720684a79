import { OrderPlaced, StockReserved } from '@meridian/contracts';
import { on, type Subscription } from '@meridian/messaging';
import type { Payments } from '../payments.ts';

/** An order is charged once its stock is reserved: both events feed the payment's saga step. */
export function paymentSubscriptions(payments: Payments): Subscription[] {
  return [
    // v1 and v2 share every field payments reads (v2 only adds customerEmail).
    on(OrderPlaced, (event, tx) => payments.orderPlaced(tx, event.data)),
    on(StockReserved, (event, tx) => payments.stockReserved(tx, event.data.orderId)),
  ];
}
