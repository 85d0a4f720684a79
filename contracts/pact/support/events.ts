// Message pacts: every consumer receives the chassis envelope and validates `data` against the
// contract schema before its handler runs, so each expectation covers the whole envelope and
// every required field, type-matched, with fixed example values.
import assert from 'node:assert/strict';
import { MatchersV3, type PactV4 } from '@pact-foundation/pact';
import { eventSchemas } from '@meridian/contracts';
import { dataErrors, type EventEnvelope, parseEnvelope } from '@meridian/messaging';
import { currency, examples, timestamp, uuid } from './pact.ts';

const { string, integer, boolean, eachLike } = MatchersV3;

/** The provider state that makes a provider publish each event (shared with the provider tests). */
export const eventStates = {
  ProductCreated: 'a product was created',
  ProductUpdated: 'a product was updated',
  ProductDeactivated: 'a product was deactivated',
  StockReserved: 'stock was reserved for an order',
  StockRejected: 'stock was rejected for an order',
  StockReleased: 'a stock reservation was released',
  OrderPlaced: 'an order was placed',
  OrderConfirmed: 'an order was confirmed',
  OrderCancelled: 'an order was cancelled',
  PaymentAuthorized: 'a payment was authorized',
  PaymentDeclined: 'a payment was declined',
} as const;

export type EventType = keyof typeof eventStates;

const { orderId, customerId, productId, paymentId } = examples;
const line = { productId: uuid(productId), quantity: integer(2) };
const snapshot = {
  productId: uuid(productId),
  sku: string('KETTLE-1'),
  name: string('Pour-Over Kettle'),
  description: string('Gooseneck, 1 l'),
  category: string('Kitchen'),
  priceCents: integer(4999),
  currency: currency(),
  active: boolean(true),
  updatedAt: timestamp(),
};

/** Example `data` per event type and version, as matchers. */
const eventData: Record<EventType, { version: number; key: string; data: Record<string, unknown> }> = {
  ProductCreated: { version: 1, key: productId, data: snapshot },
  ProductUpdated: { version: 1, key: productId, data: snapshot },
  ProductDeactivated: { version: 1, key: productId, data: { productId: uuid(productId), deactivatedAt: timestamp() } },
  StockReserved: { version: 1, key: orderId, data: { orderId: uuid(orderId), items: eachLike(line), expiresAt: timestamp() } },
  StockRejected: {
    version: 1,
    key: orderId,
    data: {
      orderId: uuid(orderId),
      reason: string('insufficient_stock'),
      shortages: eachLike({ productId: uuid(productId), requested: integer(2), available: integer(0) }),
    },
  },
  StockReleased: { version: 1, key: orderId, data: { orderId: uuid(orderId), reason: string('order_cancelled'), items: eachLike(line) } },
  OrderPlaced: {
    version: 2,
    key: orderId,
    data: {
      orderId: uuid(orderId),
      customerId: uuid(customerId),
      items: eachLike({ productId: uuid(productId), sku: string('KETTLE-1'), name: string('Pour-Over Kettle'), quantity: integer(2), unitPriceCents: integer(4999) }),
      totalCents: integer(9998),
      currency: currency(),
      paymentToken: string('tok_visa'),
      placedAt: timestamp(),
      customerEmail: string('shopper@example.com'),
    },
  },
  OrderConfirmed: {
    version: 2,
    key: orderId,
    data: {
      orderId: uuid(orderId),
      customerId: uuid(customerId),
      totalCents: integer(9998),
      currency: currency(),
      confirmedAt: timestamp(),
      customerEmail: string('shopper@example.com'),
    },
  },
  OrderCancelled: {
    version: 2,
    key: orderId,
    data: {
      orderId: uuid(orderId),
      customerId: uuid(customerId),
      reason: string('payment_declined'),
      cancelledAt: timestamp(),
      customerEmail: string('shopper@example.com'),
    },
  },
  PaymentAuthorized: {
    version: 1,
    key: orderId,
    data: { orderId: uuid(orderId), paymentId: uuid(paymentId), amountCents: integer(9998), currency: currency(), authorizedAt: timestamp() },
  },
  PaymentDeclined: {
    version: 1,
    key: orderId,
    data: { orderId: uuid(orderId), paymentId: uuid(paymentId), reason: string('card_declined'), declinedAt: timestamp() },
  },
};

/** The interaction's description; the provider test answers it with the event its code wrote. */
export const eventDescription = (type: EventType) => `a ${type} v${eventData[type].version} event`;

/** A fixed event id per type: consumers deduplicate by event id. */
const exampleEventId = (type: EventType) =>
  `e7e7e7e7-0000-4000-8000-${String(Object.keys(eventStates).indexOf(type) + 1).padStart(12, '0')}`;

/** The envelope a consumer expects, exactly the fields `parseEnvelope` requires. */
function envelopeLike(type: EventType, source: string) {
  const { version, key, data } = eventData[type];
  return { id: uuid(exampleEventId(type)), type, version, source: string(source), time: timestamp(), key: string(key), data };
}

/**
 * Declares that the consumer of `pact` receives `type` from its provider, and runs `handle` on the
 * example: first through the chassis checks every consumer applies (envelope + contract schema).
 */
export async function expectEvent(pact: PactV4, source: string, type: EventType, handle: (event: EventEnvelope<any>) => Promise<void>): Promise<void> {
  await pact
    .addAsynchronousInteraction()
    .given(eventStates[type])
    .expectsToReceive(eventDescription(type), (builder) => builder.withJSONContent(envelopeLike(type, source)))
    .executeTest(async (message) => {
      const event = parseEnvelope(JSON.stringify(message.contents.content));
      assert.deepEqual(dataErrors(eventSchemas, event.type, event.version, event.data), []);
      await handle(event);
    });
}
