import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import { eventContracts, eventSchemas, latestVersion, topics } from '../index.ts';

const orderPlacedV1 = {
  orderId: '0b6f3c1e-8a51-4f4e-9d1a-0d7c2f1f6a11',
  customerId: '5d1c2b3a-1111-4a4a-8b8b-222233334444',
  items: [{ productId: '9a8b7c6d-1234-4abc-9def-0123456789ab', sku: 'SKU-1', name: 'Mug', quantity: 2, unitPriceCents: 1250 }],
  totalCents: 2500,
  currency: 'EUR',
  paymentToken: 'tok_visa',
  placedAt: '2026-11-25T10:00:00.000Z',
};

test('every event type is published on a declared topic and has a version 1', () => {
  const declared = new Set<string>(Object.values(topics));
  for (const [type, contract] of Object.entries(eventContracts)) {
    assert.ok(declared.has(contract.topic), `${type} topic ${contract.topic}`);
    assert.ok(eventSchemas[type]?.[1], `${type} v1`);
  }
});

test('OrderPlaced v2 adds an optional customerEmail and still accepts a v1 payload', () => {
  assert.equal(latestVersion('OrderPlaced'), 2);
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
