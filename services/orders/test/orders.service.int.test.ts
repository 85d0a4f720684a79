/**
 * The whole orders service in-process on real PostgreSQL, Kafka and etcd: the catalog read model fed
 * through Kafka, placing an order over HTTP, saga outcomes consumed from Kafka, duplicates.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startService, type RunningService } from '@meridian/service';
import { createTempDatabase, uniqueName, waitFor, type TempDatabase, serviceEnv } from '@meridian/testkit';
import { ordersService } from '../src/service.ts';
import { createTestProducer, deleteNamespaceTopics, envelope, startReading, startTokenAuthority } from './support.ts';

const ns = uniqueName('orders');
let db: TempDatabase;
let service: RunningService<any>;
let authority: Awaited<ReturnType<typeof startTokenAuthority>>;
let producer: ReturnType<typeof createTestProducer>;
let ordersTopic: Awaited<ReturnType<typeof startReading>>;
let token: string;
const customerId = randomUUID();
const product = { productId: randomUUID(), sku: 'CHAIR-1', name: 'Oak chair', priceCents: 12900 };

before(async () => {
  db = await createTempDatabase('orders_svc');
  authority = await startTokenAuthority(ns);
  token = await authority.issuer.issue({ sub: customerId, email: 'carol@example.com', role: 'customer' });
  service = await startService(ordersService(), serviceEnv({ databaseUrl: db.url, ns }, { LOG_LEVEL: process.env.TEST_LOG ? 'debug' : 'silent' }));
  producer = createTestProducer();
  ordersTopic = await startReading(`${ns}.orders.events`);
});

after(async () => {
  await ordersTopic?.close();
  await producer?.close();
  await service?.stop();
  await authority?.stop();
  await db?.drop();
  await deleteNamespaceTopics(ns);
});

const catalogEvent = (type: string, data: object) => producer.send(`${ns}.catalog.products`, envelope(type, 1, product.productId, data, 'catalog'));
const snapshot = (over: object = {}) => ({
  ...product,
  description: 'Solid oak',
  category: 'Furniture',
  currency: 'EUR',
  active: true,
  updatedAt: new Date().toISOString(),
  ...over,
});

async function placeOrder(quantity: number, key = randomUUID()) {
  return fetch(`${service.url}/api/v1/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ items: [{ productId: product.productId, quantity }], paymentToken: 'tok_visa' }),
  });
}

async function getOrder(id: string) {
  const res = await fetch(`${service.url}/api/v1/orders/${id}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  return res.json();
}

const waitForStatus = (id: string, status: string) =>
  waitFor(async () => ((await getOrder(id)).status === status ? getOrder(id) : undefined), { timeoutMs: 20_000, message: `order ${status}` });

test('the read model follows catalog events from Kafka; orders are priced from it', async () => {
  const before = await placeOrder(1);
  assert.equal(before.status, 422, 'unknown until ProductCreated arrives');

  await catalogEvent('ProductCreated', snapshot());
  const res = await waitFor(async () => {
    const r = await placeOrder(2);
    return r.status === 202 ? r : undefined;
  }, { timeoutMs: 20_000, message: 'the product in the read model' });
  const { id } = await res.json();
  assert.equal((await getOrder(id)).totalCents, 2 * 12900);

  await catalogEvent('ProductUpdated', snapshot({ priceCents: 9900 }));
  await waitFor(async () => {
    const r = await placeOrder(1);
    return r.status === 202 && (await getOrder((await r.json()).id)).totalCents === 9900;
  }, { timeoutMs: 20_000, message: 'the new price' });

  const placed = await ordersTopic.find((e) => e.type === 'OrderPlaced' && e.key === id, 'OrderPlaced on Kafka');
  assert.equal(placed.version, 2);
  assert.equal(placed.source, 'orders');
  assert.equal(placed.data.customerEmail, 'carol@example.com');
  assert.deepEqual(placed.data.items, [{ productId: product.productId, sku: 'CHAIR-1', name: 'Oak chair', quantity: 2, unitPriceCents: 12900 }]);
});

test('an order keeps the trace id of the request that placed it; staff see it', async () => {
  const traceId = randomUUID().replaceAll('-', '');
  const res = await fetch(`${service.url}/api/v1/orders`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'idempotency-key': randomUUID(),
      traceparent: `00-${traceId}-${'1'.repeat(16)}-01`,
    },
    body: JSON.stringify({ items: [{ productId: product.productId, quantity: 1 }], paymentToken: 'tok_visa' }),
  });
  assert.equal(res.status, 202);
  assert.equal(res.headers.get('x-trace-id'), traceId);
  const { id } = await res.json();

  const staff = await authority.issuer.issue({ sub: randomUUID(), email: 'staff@example.com', role: 'staff' });
  const read = (path: string, bearer: string) => fetch(`${service.url}${path}`, { headers: { authorization: `Bearer ${bearer}` } }).then((r) => r.json());
  assert.equal((await read(`/api/v1/admin/orders/${id}`, staff)).traceId, traceId);
  const listed = (await read(`/api/v1/admin/orders?customerId=${customerId}&limit=100`, staff)).items.find((o: { id: string }) => o.id === id);
  assert.equal(listed.traceId, traceId);
  assert.equal((await read(`/api/v1/orders/${id}`, token)).traceId, undefined, 'customers do not see it');

  const placed = await ordersTopic.find((e) => e.type === 'OrderPlaced' && e.key === id, 'OrderPlaced on Kafka');
  assert.equal(placed.traceparent?.split('-')[1], traceId, 'the saga carries the same trace');
});

test('PaymentAuthorized confirms the order once, even when delivered twice; late events change nothing', async () => {
  const { id } = await (await placeOrder(1)).json();
  const reserved = envelope('StockReserved', 1, id, { orderId: id, items: [{ productId: product.productId, quantity: 1 }], expiresAt: new Date(Date.now() + 900_000).toISOString() }, 'inventory');
  await producer.send(`${ns}.inventory.stock`, reserved);
  // Another topic, so no ordering with the payment events: let it land first for a stable history.
  await waitFor(async () => (await service.ctx.sql`select 1 from order_events where event_id = ${reserved.id}`).length === 1, {
    message: 'StockReserved recorded',
  });
  const authorized = envelope('PaymentAuthorized', 1, id, { orderId: id, paymentId: randomUUID(), amountCents: 9900, currency: 'EUR', authorizedAt: new Date().toISOString() }, 'payments');
  await producer.send(`${ns}.payments.events`, authorized);
  await producer.send(`${ns}.payments.events`, authorized); // redelivery
  await producer.send(`${ns}.payments.events`, envelope('PaymentDeclined', 1, id, { orderId: id, paymentId: randomUUID(), reason: 'card_declined', declinedAt: new Date().toISOString() }, 'payments'));

  await waitForStatus(id, 'CONFIRMED');
  const confirmed = await ordersTopic.find((e) => e.type === 'OrderConfirmed' && e.key === id, 'OrderConfirmed on Kafka');
  // v2: the customer's email travels with the outcome (notifications writes to it without a read model).
  assert.equal(confirmed.version, 2);
  assert.deepEqual({ ...confirmed.data, confirmedAt: undefined }, { orderId: id, customerId, totalCents: 9900, currency: 'EUR', confirmedAt: undefined, customerEmail: 'carol@example.com' });

  const history = await waitFor(async () => {
    const rows = await service.ctx.sql`select type, direction, outcome from order_events where order_id = ${id} order by seq`;
    return rows.some((r) => r.type === 'PaymentDeclined') ? rows : undefined;
  }, { message: 'the late PaymentDeclined in the history' });
  assert.deepEqual(
    history.map((r) => `${r.direction}:${r.type}:${r.outcome}`),
    ['out:OrderPlaced:applied', 'in:StockReserved:recorded', 'in:PaymentAuthorized:applied', 'out:OrderConfirmed:applied', 'in:PaymentDeclined:ignored'],
  );
  assert.equal((await getOrder(id)).status, 'CONFIRMED');
  assert.equal(ordersTopic.events.filter((e) => e.key === id && e.type !== 'OrderPlaced').length, 1, 'one outcome event');
});

test('StockRejected and PaymentDeclined cancel with reasons and emit OrderCancelled', async () => {
  const rejected = (await (await placeOrder(1)).json()).id;
  await producer.send(`${ns}.inventory.stock`, envelope('StockRejected', 1, rejected, { orderId: rejected, reason: 'insufficient_stock', shortages: [{ productId: product.productId, requested: 1, available: 0 }] }, 'inventory'));
  const declined = (await (await placeOrder(1)).json()).id;
  await producer.send(`${ns}.payments.events`, envelope('PaymentDeclined', 1, declined, { orderId: declined, paymentId: randomUUID(), reason: 'card_declined', declinedAt: new Date().toISOString() }, 'payments'));

  assert.equal((await waitForStatus(rejected, 'CANCELLED')).reason, 'insufficient_stock');
  assert.equal((await waitForStatus(declined, 'CANCELLED')).reason, 'payment_declined: card_declined');
  const cancelled = await ordersTopic.find((e) => e.type === 'OrderCancelled' && e.key === declined, 'OrderCancelled on Kafka');
  assert.equal(cancelled.data.reason, 'payment_declined: card_declined');
  assert.equal(cancelled.version, 2);
  assert.equal(cancelled.data.customerEmail, 'carol@example.com');

  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  assert.match(metrics, /orders_cancelled_total\{reason="insufficient_stock"\} [1-9]/);
  assert.match(metrics, /orders_confirmed_total [1-9]/);
  assert.match(metrics, /revenue_minor_units_total\{currency="EUR"\} [1-9]/);
});

test('ProductDeactivated makes the product unorderable', async () => {
  await catalogEvent('ProductDeactivated', { productId: product.productId, deactivatedAt: new Date().toISOString() });
  await waitFor(async () => (await placeOrder(1)).status === 422, { timeoutMs: 20_000, message: 'the product to be inactive' });
});
