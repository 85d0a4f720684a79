/**
 * The inventory service in-process on real PostgreSQL, Kafka and etcd: HTTP API, the reservation
 * saga driven by OrderPlaced / OrderConfirmed / OrderCancelled from Kafka, and the expiry sweeper.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startService, type RunningService } from '@meridian/service';
import { createTempDatabase, uniqueName, waitFor, type TempDatabase, serviceEnv } from '@meridian/testkit';
import { inventoryService } from '../src/service.ts';
import { createInventory } from '../src/inventory.ts';
import { inventoryEvents } from '../src/events/publish.ts';
import { createTestProducer, deleteNamespaceTopics, envelope, startReading, startTokenAuthority } from './support.ts';

const ns = uniqueName('inventory');
let db: TempDatabase;
let service: RunningService<any>;
let authority: Awaited<ReturnType<typeof startTokenAuthority>>;
let producer: ReturnType<typeof createTestProducer>;
let stock: Awaited<ReturnType<typeof startReading>>;
let levels: Awaited<ReturnType<typeof startReading>>;
let staffToken: string;
let customerToken: string;

before(async () => {
  db = await createTempDatabase('inventory_svc');
  authority = await startTokenAuthority(ns);
  staffToken = await authority.issuer.issue({ sub: randomUUID(), email: 'staff@example.com', role: 'staff' });
  customerToken = await authority.issuer.issue({ sub: randomUUID(), email: 'carol@example.com', role: 'customer' });
  service = await startService(inventoryService(), serviceEnv({ databaseUrl: db.url, ns }, { RESERVATION_SWEEP_INTERVAL_MS: '200', LOG_LEVEL: process.env.TEST_LOG ? 'debug' : 'silent' }));
  producer = createTestProducer();
  stock = await startReading(`${ns}.inventory.stock`);
  levels = await startReading(`${ns}.inventory.levels`);
});

after(async () => {
  await stock?.close();
  await levels?.close();
  await producer?.close();
  await service?.stop();
  await authority?.stop();
  await db?.drop();
  await deleteNamespaceTopics(ns);
});

const api = (path: string, init: RequestInit = {}) => fetch(`${service.url}/api/v1/inventory${path}`, init);

function putStock(productId: string, available: number, token = staffToken) {
  return api(`/${productId}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ available }),
  });
}

async function level(productId: string) {
  const res = await api(`/${productId}`);
  assert.equal(res.status, 200);
  return res.json();
}

async function stockedProduct(available: number): Promise<string> {
  const productId = randomUUID();
  assert.equal((await putStock(productId, available)).status, 200);
  return productId;
}

function orderPlaced(lines: { productId: string; quantity: number }[], version: 1 | 2 = 2) {
  const orderId = randomUUID();
  const data = {
    orderId,
    customerId: randomUUID(),
    items: lines.map((l, i) => ({ ...l, sku: `SKU-${i}`, name: `Product ${i}`, unitPriceCents: 500 })),
    totalCents: lines.reduce((sum, l) => sum + l.quantity * 500, 0),
    currency: 'EUR',
    paymentToken: 'tok_visa',
    placedAt: new Date().toISOString(),
    ...(version === 2 ? { customerEmail: 'carol@example.com' } : {}),
  };
  return { orderId, event: envelope('OrderPlaced', version, orderId, data) };
}

const orderEvent = (type: 'OrderConfirmed' | 'OrderCancelled', orderId: string) =>
  envelope(type, 1, orderId, {
    orderId,
    customerId: randomUUID(),
    ...(type === 'OrderConfirmed'
      ? { totalCents: 500, currency: 'EUR', confirmedAt: new Date().toISOString() }
      : { reason: 'payment_declined: card_declined', cancelledAt: new Date().toISOString() }),
  });

const sendOrders = (...events: ReturnType<typeof envelope>[]) => producer.send(`${ns}.orders.events`, ...events);
const decided = (orderId: string) =>
  stock.waitFor(
    () => stock.events.find((e) => (e.type === 'StockReserved' || e.type === 'StockRejected') && e.data.orderId === orderId),
    `stock decision for ${orderId}`,
  );

test('staff sets stock; reads are public; customers and anonymous callers cannot write', async () => {
  const productId = randomUUID();
  assert.equal((await api(`/${productId}`)).status, 404);
  const notFound = await (await api(`/${productId}`)).json();
  assert.equal(notFound.type, 'https://meridian.dev/problems/not-found');

  const res = await putStock(productId, 12);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { productId, available: 12, reserved: 0 });
  assert.deepEqual(await level(productId), { productId, available: 12, reserved: 0 });
  await levels.waitFor(() => levels.where('StockLevelChanged', (d) => d.productId === productId && d.available === 12)[0], 'StockLevelChanged');

  assert.equal((await putStock(productId, 1, customerToken)).status, 403);
  assert.equal((await api(`/${productId}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"available":1}' })).status, 401);
  const bad = await putStock(productId, -1);
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).errors[0].field, 'available');
  assert.equal((await api('/not-a-uuid')).status, 400);

  const other = await stockedProduct(3);
  const batch = await api(`?productIds=${productId},${other},${randomUUID()}`);
  assert.equal(batch.status, 200);
  const { items } = await batch.json();
  assert.deepEqual(
    items.sort((a: any, b: any) => a.productId.localeCompare(b.productId)),
    [
      { productId, available: 12, reserved: 0 },
      { productId: other, available: 3, reserved: 0 },
    ].sort((a, b) => a.productId.localeCompare(b.productId)),
  );
});

test('20 concurrent OrderPlaced (v1 and v2) for 5 units: exactly 5 reserved, 15 rejected, never negative', async () => {
  const productId = await stockedProduct(5);
  const orders = Array.from({ length: 20 }, (_, i) => orderPlaced([{ productId, quantity: 1 }], i % 2 ? 1 : 2));
  await sendOrders(...orders.map((o) => o.event));
  await Promise.all(orders.map((o) => decided(o.orderId)));

  const ids = new Set(orders.map((o) => o.orderId));
  const reserved = stock.where('StockReserved', (d) => ids.has(d.orderId));
  const rejected = stock.where('StockRejected', (d) => ids.has(d.orderId));
  assert.equal(reserved.length, 5);
  assert.equal(rejected.length, 15);
  for (const r of rejected) {
    assert.equal(r.data.reason, 'insufficient_stock');
    assert.deepEqual(r.data.shortages, [{ productId, requested: 1, available: 0 }]);
  }
  assert.deepEqual(await level(productId), { productId, available: 0, reserved: 5 });
  await levels.waitFor(() => levels.where('StockLevelChanged', (d) => d.productId === productId).length >= 6, 'level events');
  assert.equal(stock.where('StockLevelChanged', () => true).length, 0, 'the saga topic carries no level changes');
  for (const e of levels.where('StockLevelChanged', (d) => d.productId === productId)) {
    assert.ok(e.data.available >= 0 && e.data.reserved >= 0);
    assert.equal(e.data.available + e.data.reserved, 5);
  }
});

test('concurrent multi-line reservations in opposite line order never deadlock or oversell', async () => {
  const a = await stockedProduct(10);
  const b = await stockedProduct(10);
  const inventory = createInventory({ events: inventoryEvents(service.ctx.outbox), reservationTtlSeconds: 900 });
  const outcomes = await Promise.all(
    Array.from({ length: 30 }, (_, i) => {
      const lines = i % 2 ? [{ productId: a, quantity: 1 }, { productId: b, quantity: 1 }] : [{ productId: b, quantity: 1 }, { productId: a, quantity: 1 }];
      return service.ctx.sql.begin((tx) => inventory.reserve(tx, randomUUID(), lines));
    }),
  );
  assert.equal(outcomes.filter((o) => o === 'reserved').length, 10);
  assert.equal(outcomes.filter((o) => o === 'rejected').length, 20);
  assert.deepEqual(await level(a), { productId: a, available: 0, reserved: 10 });
  assert.deepEqual(await level(b), { productId: b, available: 0, reserved: 10 });
});

test('a rejected order reserves nothing, and its cancellation releases nothing', async () => {
  const plenty = await stockedProduct(10);
  const scarce = await stockedProduct(1);
  const order = orderPlaced([
    { productId: plenty, quantity: 3 },
    { productId: scarce, quantity: 2 },
  ]);
  await sendOrders(order.event);
  const decision = await decided(order.orderId);
  assert.equal(decision.type, 'StockRejected');
  assert.deepEqual(decision.data.shortages, [{ productId: scarce, requested: 2, available: 1 }]);
  assert.deepEqual(await level(plenty), { productId: plenty, available: 10, reserved: 0 });
  assert.deepEqual(await level(scarce), { productId: scarce, available: 1, reserved: 0 });

  const cancel = orderEvent('OrderCancelled', order.orderId);
  await sendOrders(cancel);
  await waitForProcessed(cancel.id);
  assert.equal(stock.where('StockReleased', (d) => d.orderId === order.orderId).length, 0);
  assert.deepEqual(await level(plenty), { productId: plenty, available: 10, reserved: 0 });
});

test('a cancellation releases the reservation exactly once, even delivered twice', async () => {
  const productId = await stockedProduct(4);
  const order = orderPlaced([{ productId, quantity: 3 }]);
  await sendOrders(order.event);
  assert.equal((await decided(order.orderId)).type, 'StockReserved');
  assert.deepEqual(await level(productId), { productId, available: 1, reserved: 3 });

  const cancel = orderEvent('OrderCancelled', order.orderId);
  const cancelAgain = orderEvent('OrderCancelled', order.orderId);
  await sendOrders(cancel, cancel, cancelAgain);
  await waitForProcessed(cancelAgain.id);
  const released = await stock.waitFor(() => stock.where('StockReleased', (d) => d.orderId === order.orderId)[0], 'StockReleased');
  assert.deepEqual(released.data.items, [{ productId, quantity: 3 }]);
  assert.deepEqual(await level(productId), { productId, available: 4, reserved: 0 });
  await waitForRelayIdle();
  assert.equal(stock.where('StockReleased', (d) => d.orderId === order.orderId).length, 1);
});

test('a confirmation turns the reservation into a sale', async () => {
  const productId = await stockedProduct(5);
  const order = orderPlaced([{ productId, quantity: 2 }]);
  await sendOrders(order.event);
  assert.equal((await decided(order.orderId)).type, 'StockReserved');
  const confirm = orderEvent('OrderConfirmed', order.orderId);
  await sendOrders(confirm, orderEvent('OrderCancelled', order.orderId));
  await waitFor(async () => (await level(productId)).reserved === 0, { timeoutMs: 20_000, message: 'commit' });
  assert.deepEqual(await level(productId), { productId, available: 3, reserved: 0 }, 'a late cancel does not return sold units');
});

test('the sweeper releases expired reservations', async () => {
  const productId = await stockedProduct(2);
  const order = orderPlaced([{ productId, quantity: 2 }]);
  await sendOrders(order.event);
  const reserved = await decided(order.orderId);
  assert.equal(reserved.type, 'StockReserved');
  assert.ok(Date.parse(reserved.data.expiresAt) - Date.now() > 800_000, 'expires after the default 900 s TTL');

  await service.ctx.sql`update reservations set expires_at = now() - interval '1 second' where order_id = ${order.orderId}`;
  const released = await stock.waitFor(() => stock.where('StockReleased', (d) => d.orderId === order.orderId)[0], 'expiry release');
  assert.equal(released.data.reason, 'reservation_expired');
  assert.deepEqual(await level(productId), { productId, available: 2, reserved: 0 });
  const [row] = await service.ctx.sql`select status from reservations where order_id = ${order.orderId}`;
  assert.equal(row.status, 'expired');

  const cancel = orderEvent('OrderCancelled', order.orderId);
  await sendOrders(cancel);
  await waitForProcessed(cancel.id);
  assert.deepEqual(await level(productId), { productId, available: 2, reserved: 0 }, 'no second release');
});

test('metrics expose the active reservations gauge; the OpenAPI document lists the API', async () => {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  assert.match(text, /^inventory_active_reservations \d+$/m);
  const { paths } = await (await fetch(`${service.url}/openapi.json`)).json();
  assert.deepEqual(Object.keys(paths['/api/v1/inventory/{productId}']).sort(), ['get', 'put']);
  assert.ok(paths['/api/v1/inventory'].get);
});

async function waitForProcessed(messageId: string) {
  await waitFor(
    async () => (await service.ctx.sql`select 1 from processed_messages where message_id = ${messageId}`).length === 1,
    { timeoutMs: 20_000, message: `message ${messageId} processed` },
  );
}

async function waitForRelayIdle() {
  await waitFor(async () => (await service.ctx.sql`select 1 from outbox where published_at is null`).length === 0, {
    timeoutMs: 20_000,
    message: 'outbox drained',
  });
  await new Promise((r) => setTimeout(r, 300));
}
