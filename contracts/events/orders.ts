import { Type, type Static } from 'typebox';
import { Currency, MinorUnits, Quantity, Reason, Timestamp, Uuid } from './common.ts';
import { event } from '@meridian/messaging';
import { OrdersEventsTopic } from '../topics.ts';

/** Topic `orders.events`, key = orderId. */
const PricedLine = Type.Object({
  productId: Uuid,
  sku: Type.String(),
  name: Type.String(),
  quantity: Quantity,
  unitPriceCents: MinorUnits,
});

export const OrderPlacedV1 = Type.Object({
  orderId: Uuid,
  customerId: Uuid,
  items: Type.Array(PricedLine, { minItems: 1 }),
  totalCents: MinorUnits,
  currency: Currency,
  paymentToken: Type.String({ minLength: 1, maxLength: 100 }),
  placedAt: Timestamp,
});
export type OrderPlacedV1 = Static<typeof OrderPlacedV1>;

/** v2 adds the optional `customerEmail`; consumers accept v1 and v2. */
export const OrderPlacedV2 = Type.Object({
  ...OrderPlacedV1.properties,
  customerEmail: Type.Optional(Type.String({ format: 'email' })),
});
export type OrderPlacedV2 = Static<typeof OrderPlacedV2>;

export const OrderConfirmedV1 = Type.Object({
  orderId: Uuid,
  customerId: Uuid,
  totalCents: MinorUnits,
  currency: Currency,
  confirmedAt: Timestamp,
});
export type OrderConfirmedV1 = Static<typeof OrderConfirmedV1>;

export const OrderCancelledV1 = Type.Object({
  orderId: Uuid,
  customerId: Uuid,
  reason: Reason,
  cancelledAt: Timestamp,
});
export type OrderCancelledV1 = Static<typeof OrderCancelledV1>;

/**
 * v2 of the outcomes adds the optional `customerEmail` (when the order has one), so a consumer that
 * writes to the customer needs no read model of OrderPlaced; consumers accept v1 and v2.
 */
export const OrderConfirmedV2 = Type.Object({
  ...OrderConfirmedV1.properties,
  customerEmail: Type.Optional(Type.String({ format: 'email' })),
});
export type OrderConfirmedV2 = Static<typeof OrderConfirmedV2>;

export const OrderCancelledV2 = Type.Object({
  ...OrderCancelledV1.properties,
  customerEmail: Type.Optional(Type.String({ format: 'email' })),
});
export type OrderCancelledV2 = Static<typeof OrderCancelledV2>;

export const OrderPlaced = event({ topic: OrdersEventsTopic, type: 'OrderPlaced', versions: { 1: OrderPlacedV1, 2: OrderPlacedV2 } });
export const OrderConfirmed = event({ topic: OrdersEventsTopic, type: 'OrderConfirmed', versions: { 1: OrderConfirmedV1, 2: OrderConfirmedV2 } });
export const OrderCancelled = event({ topic: OrdersEventsTopic, type: 'OrderCancelled', versions: { 1: OrderCancelledV1, 2: OrderCancelledV2 } });
