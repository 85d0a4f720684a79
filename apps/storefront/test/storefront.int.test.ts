import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Admin, Producer } from '@platformatic/kafka';
import { createTokenIssuer } from '@meridian/auth';
import { defineTopic, ensureTopics } from '@meridian/messaging';
import { startService, type RunningService } from '@meridian/service';
import { infra, uniqueName, waitFor } from '@meridian/testkit';
import { readEventStream } from '../../shared/test/eventStream.ts';
import { startStandIns } from '../../shared/test/standIns.ts';
import { storefrontService } from '../server/service.ts';
import { kafkaConnection } from '@meridian/config';

const ns = uniqueName('sf');
const { kafkaBrokers, etcdEndpoints } = infra();
const distDir = mkdtempSync(join(tmpdir(), 'meridian-storefront-dist-'));
writeFileSync(join(distDir, 'index.html'), '<!doctype html><title>shop</title>');
let standIns: Awaited<ReturnType<typeof startStandIns>>;
let storefront: RunningService;
let token: string;
const customer = { sub: randomUUID(), email: 'shopper@example.com', role: 'customer' as const };

before(async () => {
  await ensureTopics({ brokers: kafkaBrokers, ns, topics: [defineTopic({ name: 'orders.events' })] });
  standIns = await startStandIns({ ns, etcdEndpoints });
  token = await standIns.issuer.issue(customer);
  storefront = await startService(storefrontService({ distDir }), { MERIDIAN_NAMESPACE: ns, PORT: '0', LOG_LEVEL: 'warn' });
});

after(async () => {
  await storefront?.stop();
  await standIns?.stop();
  const admin = new Admin({ clientId: 'storefront-test', ...kafkaConnection(kafkaBrokers) });
  await admin.deleteTopics({ topics: [`${ns}.orders.events`, `${ns}.orders.events.dlq`] }).finally(() => admin.close());
  rmSync(distDir, { recursive: true, force: true });
});

const call = (path: string, init: RequestInit = {}, bearer: string | null = token) =>
  fetch(new URL(path, storefront.url), { ...init, headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...init.headers } });

test('the cart is kept in Redis per user: put, read back, clear', async () => {
  const productId = randomUUID();
  const put = await call('/app-api/cart', {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ items: [{ productId, quantity: 2 }, { productId, quantity: 1 }] }),
  });
  assert.equal(put.status, 200);
  assert.deepEqual(await put.json(), { items: [{ productId, quantity: 3 }] });

  const other = await standIns.issuer.issue({ sub: randomUUID(), email: 'other@example.com', role: 'customer' });
  assert.deepEqual(await (await call('/app-api/cart', {}, other)).json(), { items: [] }, 'another user sees their own cart');
  assert.deepEqual(await (await call('/app-api/cart')).json(), { items: [{ productId, quantity: 3 }] });

  assert.equal((await call('/app-api/cart', { method: 'DELETE' })).status, 204);
  assert.deepEqual(await (await call('/app-api/cart')).json(), { items: [] });
});

test('cart requests without a valid token or with invalid lines are problems', async () => {
  const anonymous = await call('/app-api/cart', {}, null);
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const forged = await (await createTokenIssuer({ generate: true })).issue(customer);
  assert.equal((await call('/app-api/cart', {}, forged)).status, 401, 'a token signed with another key');
  const invalid = await call('/app-api/cart', {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ items: [{ productId: 'nope', quantity: 0 }] }),
  });
  assert.equal(invalid.status, 400);
  assert.ok(((await invalid.json()) as { errors: unknown[] }).errors.length > 0);
});

test('/api is proxied to the gateway with the caller\'s token; other paths get the app', async () => {
  const orderId = randomUUID();
  standIns.orders.set(orderId, { id: orderId, status: 'PENDING' });
  const proxied = await call(`/api/v1/orders/${orderId}`);
  assert.equal(proxied.status, 200);
  assert.deepEqual(await proxied.json(), { id: orderId, status: 'PENDING' });
  assert.equal(standIns.requests.at(-1)?.authorization, `Bearer ${token}`);

  const missing = await call(`/api/v1/orders/${randomUUID()}`);
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { title: string }).title, 'Not found');

  const page = await call('/orders/123', {}, null);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<title>shop<\/title>/);
});

test('availability: in stock, only N left, out of stock (never stocked too), reused for a moment, one batched read', async () => {
  const [plenty, few, none, never] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  standIns.stock.set(plenty, 80).set(few, 2).set(none, 0);
  const ask = () => call(`/app-api/availability?productIds=${[plenty, few, none, never].join(',')}`, {}, null);
  const reads = () => standIns.requests.filter((r) => r.url.startsWith('/api/v1/inventory')).length;
  const before = reads();
  const first = await ask();
  assert.equal(first.status, 200);
  assert.match(first.headers.get('cache-control') ?? '', /max-age=3/);
  assert.deepEqual(await first.json(), {
    items: [
      { productId: plenty, status: 'in_stock' },
      { productId: few, status: 'low', left: 2 },
      { productId: none, status: 'out_of_stock' },
      { productId: never, status: 'out_of_stock' },
    ],
  });
  assert.equal(reads(), before + 1, 'one batched inventory read');
  await Promise.all([ask(), ask(), ask()]);
  assert.equal(reads(), before + 1, 'reused within the TTL');

  const bad = await call('/app-api/availability?productIds=not-an-id', {}, null);
  assert.equal(bad.status, 400);
  assert.match(bad.headers.get('content-type') ?? '', /problem\+json/);
});

test('the order stream sends the snapshot, then the outcome published on orders.events, then ends', async () => {
  const orderId = randomUUID();
  standIns.orders.set(orderId, { id: orderId, status: 'PENDING' });
  const response = await call(`/app-api/orders/${orderId}/events`, { headers: { accept: 'text/event-stream' } });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);

  const { events, done: reading } = readEventStream(response);
  await waitFor(() => events.length >= 1, { message: 'snapshot' });
  assert.deepEqual(events[0], { event: 'snapshot', data: { id: orderId, status: 'PENDING' } });

  // The live feed joins its group in the background: publish until the outcome comes through.
  const producer = new Producer({ clientId: 'storefront-test', ...kafkaConnection(kafkaBrokers) });
  try {
    await waitFor(
      async () => {
        const envelope = {
          id: randomUUID(), type: 'OrderCancelled', version: 1, source: 'orders', time: new Date().toISOString(), key: orderId,
          data: { orderId, customerId: customer.sub, reason: 'payment_declined: card_declined', cancelledAt: new Date().toISOString() },
        };
        await producer.send({ messages: [{ topic: `${ns}.orders.events`, key: Buffer.from(orderId), value: Buffer.from(JSON.stringify(envelope)) }] });
        return events.length >= 2 || new Promise((resolve) => setTimeout(() => resolve(events.length >= 2), 1000));
      },
      { timeoutMs: 30_000, message: 'the OrderCancelled update' },
    );
  } finally {
    await producer.close();
  }
  await reading; // the stream ends after a final status
  assert.equal(events[1].event, 'update');
  assert.partialDeepStrictEqual(events[1].data, { orderId, status: 'CANCELLED', reason: 'payment_declined: card_declined', eventType: 'OrderCancelled' });
});

test('an order that is not the caller\'s (or does not exist) has no stream', async () => {
  const response = await call(`/app-api/orders/${randomUUID()}/events`);
  assert.equal(response.status, 404);
});
