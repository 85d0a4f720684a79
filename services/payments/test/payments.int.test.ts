/**
 * The payments service in-process on real PostgreSQL, Kafka and etcd: the payment saga step driven
 * by OrderPlaced + StockReserved from Kafka (in either order), provider rules, retries, idempotency.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startService, type RunningService } from '@meridian/service';
import { createTempDatabase, uniqueName, waitFor, type TempDatabase, serviceEnv } from '@meridian/testkit';
import { paymentsService } from '../src/service.ts';
import { createSimulatedProvider, type PaymentProvider } from '../src/provider.ts';
import { createTestProducer, deleteNamespaceTopics, envelope, startReading, startTokenAuthority } from './support.ts';

const ns = uniqueName('payments');
let db: TempDatabase;
let service: RunningService<any>;
let authority: Awaited<ReturnType<typeof startTokenAuthority>>;
let producer: ReturnType<typeof createTestProducer>;
let payments: Awaited<ReturnType<typeof startReading>>;
const providerCalls = new Map<string, number>();

/** The simulated provider, counting calls per order. */
const simulated = createSimulatedProvider({ latencyMs: 5 });
const countingProvider: PaymentProvider = {
  authorize(request, signal) {
    providerCalls.set(request.orderId, (providerCalls.get(request.orderId) ?? 0) + 1);
    return simulated.authorize(request, signal);
  },
};

before(async () => {
  db = await createTempDatabase('payments_svc');
  authority = await startTokenAuthority(ns);
  service = await startService(paymentsService({ provider: countingProvider }), serviceEnv({ databaseUrl: db.url, ns }, { PAYMENT_PROVIDER_TIMEOUT_MS: '150', PAYMENT_RETRY_BASE_MS: '50', LOG_LEVEL: process.env.TEST_LOG ? 'debug' : 'silent' }));
  producer = createTestProducer();
  payments = await startReading(`${ns}.payments.events`);
});

after(async () => {
  await payments?.close();
  await producer?.close();
  await service?.stop();
  await authority?.stop();
  await db?.drop();
  await deleteNamespaceTopics(ns);
});

function newOrder(paymentToken: string, version: 1 | 2 = 2) {
  const orderId = randomUUID();
  const customerId = randomUUID();
  const data = {
    orderId,
    customerId,
    items: [{ productId: randomUUID(), sku: 'MUG-1', name: 'Mug', quantity: 2, unitPriceCents: 1250 }],
    totalCents: 2500,
    currency: 'EUR',
    paymentToken,
    placedAt: new Date().toISOString(),
    ...(version === 2 ? { customerEmail: 'carol@example.com' } : {}),
  };
  const stockReserved = () =>
    envelope('StockReserved', 1, orderId, {
      orderId,
      items: [{ productId: data.items[0].productId, quantity: 2 }],
      expiresAt: new Date(Date.now() + 900_000).toISOString(),
    });
  return { orderId, customerId, placed: envelope('OrderPlaced', version, orderId, data), stockReserved };
}

const sendOrders = (...events: ReturnType<typeof envelope>[]) => producer.send(`${ns}.orders.events`, ...events);
const sendStock = (...events: ReturnType<typeof envelope>[]) => producer.send(`${ns}.inventory.stock`, ...events);
const outcome = (orderId: string) =>
  payments.waitFor(() => payments.events.find((e) => e.data.orderId === orderId), `payment outcome of ${orderId}`);

async function paymentsOf(orderId: string, user: { sub: string; role: 'customer' | 'staff' }) {
  const token = await authority.issuer.issue({ ...user, email: 'someone@example.com' });
  const res = await fetch(`${service.url}/api/v1/payments?orderId=${orderId}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  return (await res.json()).items;
}

async function waitForProcessed(messageId: string) {
  await waitFor(
    async () => (await service.ctx.sql`select 1 from processed_messages where message_id = ${messageId}`).length === 1,
    { timeoutMs: 20_000, message: `message ${messageId} processed` },
  );
}

test('an order with reserved stock is authorized; the customer and staff can read the payment', async () => {
  const order = newOrder('tok_visa');
  await sendOrders(order.placed);
  await sendStock(order.stockReserved());
  const event = await outcome(order.orderId);
  assert.equal(event.type, 'PaymentAuthorized');
  assert.equal(event.key, order.orderId);
  assert.equal(event.data.amountCents, 2500);
  assert.equal(event.data.currency, 'EUR');

  const [mine] = await paymentsOf(order.orderId, { sub: order.customerId, role: 'customer' });
  assert.equal(mine.status, 'authorized');
  assert.equal(mine.paymentId, event.data.paymentId);
  assert.equal(mine.reason, null);
  assert.equal(mine.attempts, 1);
  assert.deepEqual(await paymentsOf(order.orderId, { sub: randomUUID(), role: 'customer' }), [], "another customer's order");
  assert.equal((await paymentsOf(order.orderId, { sub: randomUUID(), role: 'staff' })).length, 1);

  assert.equal((await fetch(`${service.url}/api/v1/payments?orderId=${order.orderId}`)).status, 401);
  const token = await authority.issuer.issue({ sub: randomUUID(), email: 'a@example.com', role: 'staff' });
  const bad = await fetch(`${service.url}/api/v1/payments?orderId=nope`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(bad.status, 400);
});

test('tok_decline and tok_insufficient_funds are declined with their reason', async () => {
  const declined = newOrder('tok_decline');
  const poor = newOrder('tok_insufficient_funds', 1);
  await sendOrders(declined.placed, poor.placed);
  await sendStock(declined.stockReserved(), poor.stockReserved());
  const [a, b] = await Promise.all([outcome(declined.orderId), outcome(poor.orderId)]);
  assert.equal(a.type, 'PaymentDeclined');
  assert.equal(a.data.reason, 'card_declined');
  assert.equal(b.type, 'PaymentDeclined');
  assert.equal(b.data.reason, 'insufficient_funds');
});

test('tok_timeout is retried with backoff, then declined with provider_timeout', async () => {
  const order = newOrder('tok_timeout');
  await sendOrders(order.placed);
  await sendStock(order.stockReserved());
  const event = await outcome(order.orderId);
  assert.equal(event.type, 'PaymentDeclined');
  assert.equal(event.data.reason, 'provider_timeout');
  assert.equal(providerCalls.get(order.orderId), 3);
  const [payment] = await paymentsOf(order.orderId, { sub: order.customerId, role: 'customer' });
  assert.equal(payment.attempts, 3);
  assert.equal(payment.reason, 'provider_timeout');
});

test('a duplicate StockReserved charges once and emits one event', async () => {
  const order = newOrder('tok_visa');
  await sendOrders(order.placed);
  const reserved = order.stockReserved();
  const redelivered = order.stockReserved();
  await sendStock(reserved, reserved, redelivered);
  await waitForProcessed(redelivered.id);
  await outcome(order.orderId);
  await waitFor(async () => (await service.ctx.sql`select 1 from outbox where published_at is null`).length === 0, {
    message: 'outbox drained',
  });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(payments.events.filter((e) => e.data.orderId === order.orderId).length, 1);
  assert.equal(providerCalls.get(order.orderId), 1);
  assert.equal((await paymentsOf(order.orderId, { sub: order.customerId, role: 'customer' })).length, 1);
});

test('StockReserved arriving before OrderPlaced is remembered; the payment happens when the order arrives', async () => {
  const order = newOrder('tok_visa', 1);
  const reserved = order.stockReserved();
  await sendStock(reserved);
  await waitForProcessed(reserved.id);
  const [waiting] = await paymentsOf(order.orderId, { sub: randomUUID(), role: 'staff' });
  assert.equal(waiting.status, 'pending');
  assert.equal(waiting.amountCents, null);
  assert.equal(providerCalls.get(order.orderId), undefined);

  await sendOrders(order.placed);
  const event = await outcome(order.orderId);
  assert.equal(event.type, 'PaymentAuthorized');
  assert.equal(event.data.amountCents, 2500);
});

test('an order whose stock was never reserved is not charged', async () => {
  const order = newOrder('tok_visa');
  await sendOrders(order.placed);
  await waitForProcessed(order.placed.id);
  const [pending] = await paymentsOf(order.orderId, { sub: order.customerId, role: 'customer' });
  assert.equal(pending.status, 'pending');
  assert.equal(providerCalls.get(order.orderId), undefined);
});

test('metrics expose payment decisions and the circuit state', async () => {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  assert.match(text, /^payments_decisions_total\{status="declined",reason="provider_timeout"\} 1$/m);
  assert.match(text, /^payment_provider_circuit_state 0$/m);
  const { paths } = await (await fetch(`${service.url}/openapi.json`)).json();
  assert.ok(paths['/api/v1/payments'].get);
});
