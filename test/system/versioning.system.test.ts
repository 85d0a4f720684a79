import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, createStockedProduct, expectStatus, staffLogin } from './support.ts';

test('products v1 and v2 through the gateway: v1 is deprecated with a successor, v2 nests the price', async () => {
  const staff = await staffLogin();
  const product = await createStockedProduct(staff, 1, 1250);

  const v1 = await api('GET', `/api/v1/products/${product.id}`);
  const one = expectStatus(v1, 200, 'v1 product');
  assert.equal(one.priceCents, 1250);
  assert.equal(one.currency, 'EUR');
  assert.ok(v1.headers.get('deprecation'), 'v1 carries Deprecation');
  assert.ok(!Number.isNaN(Date.parse(v1.headers.get('sunset') ?? '')), 'v1 carries an HTTP-date Sunset');
  assert.match(v1.headers.get('link') ?? '', /rel="successor-version"/);

  const v2 = await api('GET', `/api/v2/products/${product.id}`);
  const two = expectStatus(v2, 200, 'v2 product');
  assert.deepEqual(two.price, { amount: 1250, currency: 'EUR' });
  assert.equal(two.priceCents, undefined);
  assert.equal(v2.headers.get('deprecation'), null);

  const list = expectStatus(await api('GET', `/api/v2/products?q=${encodeURIComponent(product.sku)}`), 200, 'v2 list');
  assert.ok(list.items.some((p: { id: string }) => p.id === product.id));
});
