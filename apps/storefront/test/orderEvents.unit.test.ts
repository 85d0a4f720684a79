import assert from 'node:assert/strict';
import { test } from 'node:test';
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

test('OrderConfirmed becomes a CONFIRMED update', () => {
  const update = orderUpdateFrom(
    message({ type: 'OrderConfirmed', version: 1, time: '2026-01-01T00:00:01.000Z', data: { orderId, confirmedAt: '2026-01-01T00:00:02.000Z' } }),
  );
  assert.deepEqual(update, { orderId, status: 'CONFIRMED', at: '2026-01-01T00:00:02.000Z', eventType: 'OrderConfirmed' });
});

test('OrderCancelled becomes a CANCELLED update with its reason', () => {
  const update = orderUpdateFrom(message({ type: 'OrderCancelled', data: { orderId, reason: 'payment_declined: card_declined', cancelledAt: '2026-01-01T00:00:03.000Z' } }));
  assert.equal(update?.status, 'CANCELLED');
  assert.equal(update?.reason, 'payment_declined: card_declined');
});

test('other events and non-envelopes announce nothing', () => {
  assert.equal(orderUpdateFrom(message({ type: 'OrderPlaced', data: { orderId } })), undefined);
  assert.equal(orderUpdateFrom(message('not json')), undefined);
  assert.equal(orderUpdateFrom(message(null)), undefined);
});

test('only CONFIRMED and CANCELLED are final', () => {
  assert.deepEqual(['PENDING', 'CONFIRMED', 'CANCELLED'].map(isFinal), [false, true, true]);
});
