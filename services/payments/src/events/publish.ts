import { topics, type PaymentAuthorizedV1, type PaymentDeclinedV1 } from '@meridian/contracts';
import type { Outbox } from '@meridian/messaging';
import type { Tx } from '../db/queries.ts';

export function paymentEvents(outbox: Outbox) {
  const add = (tx: Tx, type: string, data: { orderId: string }) =>
    outbox.add(tx, { topic: topics.paymentsEvents, type, version: 1, key: data.orderId, data });
  return {
    paymentAuthorized: (tx: Tx, data: PaymentAuthorizedV1) => add(tx, 'PaymentAuthorized', data),
    paymentDeclined: (tx: Tx, data: PaymentDeclinedV1) => add(tx, 'PaymentDeclined', data),
  };
}

export type PaymentEvents = ReturnType<typeof paymentEvents>;
