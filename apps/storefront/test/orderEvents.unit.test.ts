import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidEventError } from '@meridian/messaging';
import type { FeedMessage } from '../../shared/server/liveFeed.ts';
import { isFinal, orderUpdateFrom } from '../server/orderEvents.ts';

const orderId = '11111111-1111-4111-8111-111111111111';
const message = (value: unknown): FeedMessage => ({
  topic: 'test.orders.events',
  partition: 0,
  offset: '7',
  key: orderId,
  timestamp: '2026-01-01T00:00:00.000Z',
  headers: {},
  value,
});

const customerId = '22222222-2222-4222-8222-222222222222';
const envelope = (type: string, data: object) => ({
  id: '33333333-3333-4333-8333-333333333333',
  type,
  version: 1,
  source: 'orders',
  time: '2026-01-01T00:00:01.000Z',
  key: orderId,
  data,
});

test('OrderConfirmed becomes a CONFIRMED update', () => {
  const update = orderUpdateFrom(
    message(envelope('OrderConfirmed', { orderId, customerId, totalCents: 100, currency: 'EUR', confirmedAt: '2026-01-01T00:00:02.000Z' })),
  );
  assert.deepEqual(update, { orderId, status: 'CONFIRMED', at: '2026-01-01T00:00:02.000Z', eventType: 'OrderConfirmed' });
});

test('OrderCancelled becomes a CANCELLED update with its reason', () => {
  const update = orderUpdateFrom(
    message(envelope('OrderCancelled', { orderId, customerId, reason: 'payment_declined: card_declined', cancelledAt: '2026-01-01T00:00:03.000Z' })),
  );
  assert.equal(update?.status, 'CANCELLED');
  assert.equal(update?.reason, 'payment_declined: card_declined');
});

test('other events announce nothing; non-envelopes and broken data are refused with the reason', () => {
  assert.equal(orderUpdateFrom(message(envelope('OrderPlaced', { orderId }))), undefined);
  assert.throws(() => orderUpdateFrom(message('not json')), InvalidEventError);
  assert.throws(() => orderUpdateFrom(message(null)), InvalidEventError);
  assert.throws(() => orderUpdateFrom(message(envelope('OrderConfirmed', { orderId }))), /OrderConfirmed v1 data: must have required properties customerId/);
});

test('only CONFIRMED and CANCELLED are final', () => {
  assert.deepEqual(['PENDING', 'CONFIRMED', 'CANCELLED'].map(isFinal), [false, true, true]);
});
