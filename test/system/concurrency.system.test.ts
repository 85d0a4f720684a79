import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStockedProduct, finalOrder, placeOrder, registerCustomer, staffLogin, stockOf, waitFor } from './support.ts';

test('30 concurrent one-unit orders for 7 in stock: exactly 7 confirmed, 23 cancelled, stock never negative', async () => {
  const staff = await staffLogin();
  const customers = await Promise.all(Array.from({ length: 3 }, () => registerCustomer()));
  const product = await createStockedProduct(staff, 7);
  // Make sure orders knows the product before the burst, so all 30 are accepted at once.
  const probe = await placeOrder(customers[0].token, [{ productId: product.id, quantity: 1000 }]);
  assert.equal((await finalOrder(customers[0].token, probe.body.id)).reason, 'insufficient_stock');

  const samples: { available: number; reserved: number }[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push(await stockOf(staff, product.id));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();

  const placed = await Promise.all(
    Array.from({ length: 30 }, (_, i) => {
      const customer = customers[i % customers.length];
      return placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]).then((reply) => {
        assert.equal(reply.status, 202);
        return { customer, id: reply.body.id };
      });
    }),
  );
  assert.equal(new Set(placed.map((p) => p.id)).size, 30);

  const orders = await Promise.all(placed.map((p) => finalOrder(p.customer.token, p.id, 60_000)));
  const confirmed = orders.filter((o) => o.status === 'CONFIRMED');
  const cancelled = orders.filter((o) => o.status === 'CANCELLED');
  assert.equal(confirmed.length, 7);
  assert.equal(cancelled.length, 23);
  assert.ok(cancelled.every((o) => o.reason === 'insufficient_stock'), JSON.stringify(cancelled.map((o) => o.reason)));

  await waitFor(async () => {
    const stock = await stockOf(staff, product.id);
    return stock.available === 0 && stock.reserved === 0;
  }, { timeoutMs: 20_000, message: 'stock 0 available and 0 reserved after commit' });
  sampling = false;
  await sampler;
  assert.ok(samples.length > 0);
  assert.ok(samples.every((s) => s.available >= 0 && s.reserved >= 0), 'stock never negative');
  assert.ok(samples.every((s) => s.available + s.reserved <= 7), 'never more than the stock in play');
});
