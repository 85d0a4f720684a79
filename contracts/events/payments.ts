import { Type, type Static } from 'typebox';
import { Currency, MinorUnits, Reason, Timestamp, Uuid } from './common.ts';
import { event } from '@meridian/messaging';
import { PaymentsEventsTopic } from '../topics.ts';

/** Topic `payments.events`, key = orderId. */
export const PaymentAuthorizedV1 = Type.Object({
  orderId: Uuid,
  paymentId: Uuid,
  amountCents: MinorUnits,
  currency: Currency,
  authorizedAt: Timestamp,
});
export type PaymentAuthorizedV1 = Static<typeof PaymentAuthorizedV1>;

export const PaymentDeclinedV1 = Type.Object({
  orderId: Uuid,
  paymentId: Uuid,
  reason: Reason,
  declinedAt: Timestamp,
});
export type PaymentDeclinedV1 = Static<typeof PaymentDeclinedV1>;

export const PaymentAuthorized = event({ topic: PaymentsEventsTopic, type: 'PaymentAuthorized', versions: { 1: PaymentAuthorizedV1 } });
export const PaymentDeclined = event({ topic: PaymentsEventsTopic, type: 'PaymentDeclined', versions: { 1: PaymentDeclinedV1 } });
