import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decide,
  normalizeLines,
  OrderRejection,
  priceLines,
  requestFingerprint,
  type CatalogProduct,
  type OrderStatus,
} from '../src/domain/order.ts';
import { decodeCursor, encodeCursor } from '../src/domain/cursor.ts';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const C = '00000000-0000-4000-8000-00000000000c';

const product = (productId: string, over: Partial<CatalogProduct> = {}): CatalogProduct => ({
  productId,
  sku: `SKU-${productId.slice(-1)}`,
  name: `Product ${productId.slice(-1)}`,
  priceCents: 250,
  currency: 'EUR',
  active: true,
  ...over,
});

test('normalizeLines merges duplicate products and sorts by id', () => {
  assert.deepEqual(
    normalizeLines([
      { productId: B, quantity: 2 },
      { productId: A, quantity: 1 },
      { productId: B.toUpperCase(), quantity: 3 },
    ]),
    [
      { productId: A, quantity: 1 },
      { productId: B, quantity: 5 },
    ],
  );
});

test('normalizeLines rejects a merged quantity above 1000, naming the product', () => {
  assert.throws(
    () => normalizeLines([{ productId: A, quantity: 600 }, { productId: A, quantity: 401 }]),
    (e: unknown) => e instanceof OrderRejection && e.code === 'quantity-too-large' && e.productIds[0] === A,
  );
});

test('priceLines prices from the read model and sums the total', () => {
  const products = new Map([
    [A, product(A, { priceCents: 1999 })],
    [B, product(B, { priceCents: 5 })],
  ]);
  const priced = priceLines([{ productId: A, quantity: 2 }, { productId: B, quantity: 3 }], products);
  assert.equal(priced.totalCents, 2 * 1999 + 3 * 5);
  assert.equal(priced.currency, 'EUR');
  assert.deepEqual(priced.items[0], { productId: A, sku: 'SKU-a', name: 'Product a', quantity: 2, unitPriceCents: 1999 });
});

test('priceLines rejects unknown and inactive products, naming each', () => {
  const products = new Map([[A, product(A)], [B, product(B, { active: false })]]);
  assert.throws(
    () => priceLines([{ productId: A, quantity: 1 }, { productId: B, quantity: 1 }, { productId: C, quantity: 1 }], products),
    (e: unknown) =>
      e instanceof OrderRejection && e.code === 'unknown-product' && e.productIds.join() === [B, C].join(),
  );
});

test('priceLines rejects an order mixing currencies', () => {
  const products = new Map([[A, product(A)], [B, product(B, { currency: 'USD' })]]);
  assert.throws(
    () => priceLines([{ productId: A, quantity: 1 }, { productId: B, quantity: 1 }], products),
    (e: unknown) => e instanceof OrderRejection && e.code === 'mixed-currency',
  );
});

test('request fingerprint: same normalised request matches, any difference does not', () => {
  const one = requestFingerprint(normalizeLines([{ productId: A, quantity: 1 }, { productId: B, quantity: 2 }]), 'tok_ok');
  const reordered = requestFingerprint(normalizeLines([{ productId: B, quantity: 2 }, { productId: A, quantity: 1 }]), 'tok_ok');
  assert.equal(one, reordered);
  assert.notEqual(one, requestFingerprint(normalizeLines([{ productId: A, quantity: 1 }, { productId: B, quantity: 3 }]), 'tok_ok'));
  assert.notEqual(one, requestFingerprint(normalizeLines([{ productId: A, quantity: 1 }, { productId: B, quantity: 2 }]), 'tok_decline'));
});

test('state machine: a pending order confirms or cancels with the right reason', () => {
  assert.deepEqual(decide('PENDING', { type: 'PaymentAuthorized' }), { outcome: 'confirm' });
  assert.deepEqual(decide('PENDING', { type: 'StockRejected', reason: 'insufficient_stock' }), {
    outcome: 'cancel',
    reason: 'insufficient_stock',
  });
  assert.deepEqual(decide('PENDING', { type: 'PaymentDeclined', reason: 'card_declined' }), {
    outcome: 'cancel',
    reason: 'payment_declined: card_declined',
  });
  assert.deepEqual(decide('PENDING', { type: 'Timeout' }), { outcome: 'cancel', reason: 'saga_timeout' });
});

test('state machine: a final order never changes', () => {
  const final: OrderStatus[] = ['CONFIRMED', 'CANCELLED'];
  for (const status of final) {
    for (const input of [
      { type: 'PaymentAuthorized' } as const,
      { type: 'PaymentDeclined', reason: 'card_declined' } as const,
      { type: 'StockRejected', reason: 'insufficient_stock' } as const,
      { type: 'Timeout' } as const,
    ]) {
      assert.equal(decide(status, input).outcome, 'ignore', `${status} + ${input.type}`);
    }
  }
});

test('cancel reasons stay within the contract limit of 200 characters', () => {
  const t = decide('PENDING', { type: 'PaymentDeclined', reason: 'x'.repeat(200) });
  assert.equal(t.outcome === 'cancel' && t.reason.length, 200);
});

test('cursor round-trips and rejects garbage', () => {
  const c = { createdAt: '2026-01-02T03:04:05.678Z', id: A };
  assert.deepEqual(decodeCursor(encodeCursor(c)), c);
  assert.equal(decodeCursor('not-a-cursor'), undefined);
  assert.equal(decodeCursor(Buffer.from('["x","y"]').toString('base64url')), undefined);
});
