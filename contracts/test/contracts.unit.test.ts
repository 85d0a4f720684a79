import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import { allEvents, businessTopics, eventSchemas, OrderPlaced } from '../index.ts';

const orderPlacedV1 = {
  orderId: '0b6f3c1e-8a51-4f4e-9d1a-0d7c2f1f6a11',
  customerId: '5d1c2b3a-1111-4a4a-8b8b-222233334444',
  items: [{ productId: '9a8b7c6d-1234-4abc-9def-0123456789ab', sku: 'SKU-1', name: 'Mug', quantity: 2, unitPriceCents: 1250 }],
  totalCents: 2500,
  currency: 'EUR',
  paymentToken: 'tok_visa',
  placedAt: '2026-11-25T10:00:00.000Z',
};

test('every event is published on a declared topic, owned by one service, and has a version 1', () => {
  const declared = new Set(businessTopics);
  for (const event of allEvents) {
    assert.ok(declared.has(event.topic), `${event.type} topic ${event.topic.name}`);
    assert.ok(event.versions[1], `${event.type} v1`);
    assert.equal(eventSchemas[event.type], event.versions);
  }
  assert.equal(new Set(allEvents.map((e) => e.type)).size, allEvents.length, 'event types are unique');
});

test('a descriptor gives each version its topic, type and schema', () => {
  assert.equal(OrderPlaced.v2.topic.name, 'orders.events');
  assert.equal(OrderPlaced.v2.type, 'OrderPlaced');
  assert.equal(OrderPlaced.v2.version, 2);
  assert.equal(OrderPlaced.v1.schema, OrderPlaced.versions[1]);
});

test('OrderPlaced v2 adds an optional customerEmail and still accepts a v1 payload', () => {
  const v2 = eventSchemas.OrderPlaced![2]!;
  assert.ok(Value.Check(v2, orderPlacedV1), 'v1 data is valid v2 data');
  assert.ok(Value.Check(v2, { ...orderPlacedV1, customerEmail: 'ada@example.com' }));
  assert.ok(!Value.Check(v2, { ...orderPlacedV1, customerEmail: 'not-an-email' }));
});

test('schemas reject wrong types, bad formats and missing fields', () => {
  const v1 = eventSchemas.OrderPlaced![1]!;
  assert.ok(Value.Check(v1, orderPlacedV1));
  assert.ok(!Value.Check(v1, { ...orderPlacedV1, orderId: 'nope' }));
  assert.ok(!Value.Check(v1, { ...orderPlacedV1, totalCents: -1 }));
  assert.ok(!Value.Check(v1, { ...orderPlacedV1, items: [] }));
  const { currency: _omit, ...missing } = orderPlacedV1;
  assert.ok(!Value.Check(v1, missing));
});
