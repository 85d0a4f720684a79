import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  api,
  createStockedProduct,
  expectStatus,
  finalOrder,
  notificationsOf,
  placeOrder,
  registerCustomer,
  staffLogin,
  stockOf,
  waitFor,
  type Session,
} from './support.ts';

let staff: string;
let alice: Session;
let bob: Session;

before(async () => {
  staff = await staffLogin();
  [alice, bob] = await Promise.all([registerCustomer(), registerCustomer()]);
});

test('a customer finds a product, orders it and the order is confirmed; stock is committed', async () => {
  const product = await createStockedProduct(staff, 10, 1999);

  const found = await waitFor(async () => {
    const page = expectStatus(await api('GET', `/api/v1/products?q=${encodeURIComponent(product.name)}`, { token: alice.token }), 200, 'search');
    return page.items.find((p: { id: string }) => p.id === product.id);
  }, { message: 'the product in search results' });
  assert.equal(found.priceCents, 1999);

  const placed = await placeOrder(alice.token, [{ productId: product.id, quantity: 2 }]);
  assert.equal(placed.status, 202);
  assert.equal(placed.body.status, 'PENDING');

  const order = await finalOrder(alice.token, placed.body.id);
  assert.equal(order.status, 'CONFIRMED');
  assert.equal(order.totalCents, 3998);
  assert.equal(order.currency, 'EUR');

  await waitFor(async () => {
    const stock = await stockOf(staff, product.id);
    return stock.available === 8 && stock.reserved === 0;
  }, { message: 'stock 8 available, 0 reserved after commit' });

  const notes = await notificationsOf(alice.token, order.id, 1);
  assert.equal(notes.length, 1);
  assert.equal(notes[0].template, 'order-confirmed');
  assert.equal(notes[0].recipient, alice.email);
});

test('an order for more than the stock is cancelled with insufficient_stock and reserves nothing', async () => {
  const product = await createStockedProduct(staff, 1);
  const placed = await placeOrder(alice.token, [{ productId: product.id, quantity: 2 }]);
  const order = await finalOrder(alice.token, placed.body.id);
  assert.equal(order.status, 'CANCELLED');
  assert.equal(order.reason, 'insufficient_stock');
  assert.deepEqual(await stockOf(staff, product.id), { productId: product.id, available: 1, reserved: 0 });

  const notes = await notificationsOf(alice.token, order.id, 1);
  assert.deepEqual(notes.map((n) => n.template), ['order-cancelled']);
});

test('a declined payment cancels the order and releases the stock', async () => {
  const product = await createStockedProduct(staff, 5);
  const placed = await placeOrder(alice.token, [{ productId: product.id, quantity: 2 }], 'tok_decline');
  const order = await finalOrder(alice.token, placed.body.id);
  assert.equal(order.status, 'CANCELLED');
  assert.match(order.reason ?? '', /^payment_declined/);

  await waitFor(async () => {
    const stock = await stockOf(staff, product.id);
    return stock.available === 5 && stock.reserved === 0;
  }, { message: 'stock released back to 5 available, 0 reserved' });

  const notes = await notificationsOf(alice.token, order.id, 1);
  assert.deepEqual(notes.map((n) => n.template), ['order-cancelled']);
  // Staff sees the same single notification.
  const all = expectStatus(await api('GET', `/api/v1/notifications?orderId=${order.id}`, { token: staff }), 200, 'staff notifications');
  assert.equal(all.items.length, 1);
});

test("a customer cannot see another customer's order nor use staff endpoints", async () => {
  const product = await createStockedProduct(staff, 3);
  const placed = await placeOrder(alice.token, [{ productId: product.id, quantity: 1 }]);
  const order = await finalOrder(alice.token, placed.body.id);

  const foreign = await api('GET', `/api/v1/orders/${order.id}`, { token: bob.token });
  assert.equal(foreign.status, 404);
  assert.equal(foreign.headers.get('content-type')?.split(';')[0], 'application/problem+json');

  const missing = await api('GET', `/api/v1/orders/${randomUUID()}`, { token: bob.token });
  assert.equal(missing.status, 404);
  assert.equal(foreign.body.title, missing.body.title, 'a foreign order looks exactly like a missing one');

  const bobsOrders = expectStatus(await api('GET', '/api/v1/orders', { token: bob.token }), 200, "bob's orders");
  assert.ok(bobsOrders.items.every((o: { id: string }) => o.id !== order.id));
  assert.equal((await api('GET', '/api/v1/notifications?orderId=' + order.id, { token: bob.token })).body.items.length, 0);

  assert.equal((await api('GET', '/api/v1/admin/orders', { token: bob.token })).status, 403);
  assert.equal((await api('GET', `/api/v1/admin/orders/${order.id}`, { token: bob.token })).status, 403);
  assert.equal((await api('GET', '/api/v1/orders')).status, 401);

  const admin = expectStatus(await api('GET', `/api/v1/admin/orders/${order.id}`, { token: staff }), 200, 'staff order view');
  const types = admin.history.map((h: { type: string }) => h.type);
  for (const type of ['OrderPlaced', 'StockReserved', 'PaymentAuthorized', 'OrderConfirmed']) {
    assert.ok(types.includes(type), `history has ${type}: ${types.join(', ')}`);
  }
  const byCustomer = expectStatus(
    await api('GET', `/api/v1/admin/orders?customerId=${alice.id}&status=CONFIRMED&limit=100`, { token: staff }),
    200,
    'staff search',
  );
  assert.ok(byCustomer.items.some((o: { id: string }) => o.id === order.id));
});

test('an Idempotency-Key replay returns the same order; a different body with it is a 409', async () => {
  const product = await createStockedProduct(staff, 10);
  const key = randomUUID();
  const first = await placeOrder(alice.token, [{ productId: product.id, quantity: 1 }], 'tok_visa', key);
  assert.equal(first.status, 202);
  const again = await placeOrder(alice.token, [{ productId: product.id, quantity: 1 }], 'tok_visa', key);
  assert.ok(again.status === 200 || again.status === 202);
  assert.deepEqual(again.body, first.body);

  const reused = await placeOrder(alice.token, [{ productId: product.id, quantity: 3 }], 'tok_visa', key);
  assert.equal(reused.status, 409);
  assert.equal(reused.body.type, 'https://meridian.dev/problems/idempotency-key-reused');

  const noKey = await api('POST', '/api/v1/orders', {
    token: alice.token,
    body: { items: [{ productId: product.id, quantity: 1 }], paymentToken: 'tok_visa' },
  });
  assert.equal(noKey.status, 400);

  await finalOrder(alice.token, first.body.id);
  const mine = expectStatus(await api('GET', '/api/v1/admin/orders?customerId=' + alice.id + '&limit=100', { token: staff }), 200, 'orders');
  assert.equal(mine.items.filter((o: { items: { productId: string }[] }) => o.items[0].productId === product.id).length, 1);
  await waitFor(async () => (await stockOf(staff, product.id)).available === 9, { message: 'exactly one unit sold' });
});
