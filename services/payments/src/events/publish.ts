import { PaymentAuthorized, type PaymentAuthorizedV1, PaymentDeclined, type PaymentDeclinedV1 } from '@meridian/contracts';
import type { Outbox } from '@meridian/messaging';
import type { Tx } from '../db/queries.ts';

/** The events payments publishes. */
export const paymentEventTypes = [PaymentAuthorized, PaymentDeclined];

export function paymentEvents(outbox: Outbox) {
  return {
    paymentAuthorized: (tx: Tx, data: PaymentAuthorizedV1) => outbox.add(tx, PaymentAuthorized.v1, data.orderId, data),
    paymentDeclined: (tx: Tx, data: PaymentDeclinedV1) => outbox.add(tx, PaymentDeclined.v1, data.orderId, data),
  };
}

export type PaymentEvents = ReturnType<typeof paymentEvents>;
