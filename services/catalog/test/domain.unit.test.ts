import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Value } from 'typebox/value';
import { ProductSnapshotV1 } from '@meridian/contracts';
import { registerFormats } from '@meridian/http';
import { decodeCursor, encodeCursor } from '../src/domain/cursor.ts';
import { changedFields, fromV2, toSnapshot, toV1, toV2, type NewProduct, type Product, type ProductPatch } from '../src/domain/product.ts';
import { CreateProductBodyV1, CreateProductBodyV2, PatchProductBodyV1, ProductListQuery, ProductV1, ProductV2 } from '../src/api/schemas.ts';

const product: Product = {
  id: '0b7f4c1e-2a7b-4c55-9a55-0c6f1f7e9a01',
  sku: 'KIT-0001',
  name: 'Enamel Pour-Over Kettle',
  description: 'Gooseneck spout, 1 l.',
  category: 'Kitchen',
  priceCents: 4999,
  currency: 'EUR',
  active: true,
  createdAt: '2026-11-01T10:00:00.000Z',
  updatedAt: '2026-11-02T10:00:00.000Z',
};

test('a cursor survives encode/decode for any name and uuid', () => {
  fc.assert(
    fc.property(fc.string(), fc.uuid(), (name, id) => {
      assert.deepEqual(decodeCursor(encodeCursor({ name, id })), { name, id });
    }),
  );
});

test('a cursor is opaque url-safe text', () => {
  assert.match(encodeCursor({ name: 'Ünïcode / + name', id: product.id }), /^[A-Za-z0-9_-]+$/);
});

test('malformed cursors decode to undefined', () => {
  for (const token of ['', 'not base64 at all!', Buffer.from('{"a":1}').toString('base64url'),
    Buffer.from('["name","not-a-uuid"]').toString('base64url'), Buffer.from('[1,2]').toString('base64url')]) {
    assert.equal(decodeCursor(token), undefined, token);
  }
});

test('v1 keeps priceCents + currency flat; v2 nests them as price { amount, currency }', () => {
  const v1 = toV1(product);
  const v2 = toV2(product);
  assert.equal(v1.priceCents, 4999);
  assert.equal(v1.currency, 'EUR');
  assert.deepEqual(v2.price, { amount: 4999, currency: 'EUR' });
  assert.equal('priceCents' in v2, false);
  assert.equal('currency' in v2, false);
  assert.equal(Value.Check(ProductV1, v1), true);
  assert.equal(Value.Check(ProductV2, v2), true);
  const { price: _, ...v2Rest } = v2;
  const { priceCents: _p, currency: _c, ...v1Rest } = v1;
  assert.deepEqual(v2Rest, v1Rest);
});

test('v2 request bodies map to the domain shape', () => {
  const body = { sku: 'A-1', name: 'A', category: 'C', price: { amount: 100, currency: 'USD' } };
  assert.deepEqual(fromV2<NewProduct>(body), { sku: 'A-1', name: 'A', category: 'C', priceCents: 100, currency: 'USD' });
  assert.deepEqual(fromV2<ProductPatch>({ active: false }), { active: false });
});

test('changedFields keeps only real changes', () => {
  assert.deepEqual(changedFields(product, { name: product.name, priceCents: 5999, active: true }), { priceCents: 5999 });
  assert.deepEqual(changedFields(product, {}), {});
  assert.deepEqual(changedFields(product, { active: false, description: '' }), { active: false, description: '' });
});

test('the event snapshot satisfies the ProductCreated/Updated contract', () => {
  const snapshot = toSnapshot(product);
  assert.equal(Value.Check(ProductSnapshotV1, snapshot), true);
  assert.equal(snapshot.productId, product.id);
});

test('request validation: create bodies, patches and list queries', () => {
  registerFormats(); // the server does this at start; `currency` is one of its formats
  const create = { sku: 'KIT-0002', name: 'Mug', category: 'Kitchen', priceCents: 1200 };
  assert.equal(Value.Check(CreateProductBodyV1, create), true);
  assert.equal(Value.Check(CreateProductBodyV1, { ...create, priceCents: -1 }), false);
  assert.equal(Value.Check(CreateProductBodyV1, { ...create, priceCents: 12.5 }), false);
  assert.equal(Value.Check(CreateProductBodyV1, { ...create, currency: 'eur' }), false);
  assert.equal(Value.Check(CreateProductBodyV1, { ...create, currency: 'XYZ' }), false, 'not an ISO 4217 code in use');
  assert.equal(Value.Check(CreateProductBodyV1, { ...create, currency: 'CHF' }), true);
  assert.equal(Value.Check(CreateProductBodyV1, { ...create, category: '   ' }), false, 'a blank category');
  assert.equal(Value.Check(CreateProductBodyV1, { ...create, sku: 'has space' }), false);
  assert.equal(Value.Check(CreateProductBodyV1, { ...create, id: product.id }), false, 'ids are assigned by the server');
  assert.equal(Value.Check(CreateProductBodyV2, { ...create }), false, 'v2 takes price, not priceCents');
  assert.equal(Value.Check(PatchProductBodyV1, {}), false, 'an empty patch is rejected');
  assert.equal(Value.Check(PatchProductBodyV1, { sku: 'NEW' }), false, 'the sku is immutable');
  assert.equal(Value.Check(ProductListQuery, { limit: 100 }), true);
  assert.equal(Value.Check(ProductListQuery, { limit: 101 }), false);
  assert.equal(Value.Check(ProductListQuery, { limit: 0 }), false);
});
