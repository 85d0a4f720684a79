/**
 * The notifications service in-process on real PostgreSQL, Kafka and etcd: outcome events v1 and v2
 * accepted (OrderPlaced skipped, not stored), exactly one notification per outcome event even when
 * Kafka delivers it twice, and the customer/staff views of the API.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startService, type RunningService } from '@meridian/service';
import { createTempDatabase, uniqueName, waitFor, type TempDatabase, serviceEnv } from '@meridian/testkit';
import { notificationsService } from '../src/service.ts';
import { createTestProducer, deleteNamespaceTopics, envelope, startTokenAuthority } from './support.ts';

const ns = uniqueName('notifications');
let db: TempDatabase;
let service: RunningService<any>;
let authority: Awaited<ReturnType<typeof startTokenAuthority>>;
let producer: ReturnType<typeof createTestProducer>;
const tokens = { dave: '', erin: '', staff: '' };
const dave = randomUUID();
const erin = randomUUID();

before(async () => {
  db = await createTempDatabase('notifications_svc');
  authority = await startTokenAuthority(ns);
  tokens.dave = await authority.issuer.issue({ sub: dave, email: 'dave@example.com', role: 'customer' });
  tokens.erin = await authority.issuer.issue({ sub: erin, email: 'erin@example.com', role: 'customer' });
  tokens.staff = await authority.issuer.issue({ sub: randomUUID(), email: 'ops@example.com', role: 'staff' });
  service = await startService(notificationsService(), serviceEnv({ databaseUrl: db.url, ns }, { LOG_LEVEL: process.env.TEST_LOG ? 'debug' : 'silent' }));
  producer = createTestProducer();
});

after(async () => {
  await producer?.close();
  await service?.stop();
  await authority?.stop();
  await db?.drop();
  await deleteNamespaceTopics(ns);
});

const topic = () => `${ns}.orders.events`;

function placed(orderId: string, customerId: string, version: 1 | 2, email?: string) {
  return envelope('OrderPlaced', version, orderId, {
    orderId,
    customerId,
    items: [{ productId: randomUUID(), sku: 'MUG-1', name: 'Mug', quantity: 2, unitPriceCents: 850 }],
    totalCents: 1700,
    currency: 'EUR',
    paymentToken: 'tok_visa',
    placedAt: new Date().toISOString(),
    ...(email ? { customerEmail: email } : {}),
  }, 'orders');
}

async function list(who: keyof typeof tokens, query: string) {
  const res = await fetch(`${service.url}/api/v1/notifications?${query}`, { headers: { authorization: `Bearer ${tokens[who]}` } });
  assert.equal(res.status, 200);
  return (await res.json()) as { items: { orderId: string; recipient: string; template: string; sourceEventId: string; body: string }[]; nextCursor: string | null };
}

test('v2 OrderConfirmed delivered twice → exactly one confirmation, to the email it carries; OrderPlaced is skipped', async () => {
  const orderId = randomUUID();
  await producer.send(topic(), placed(orderId, dave, 2, 'dave@example.com'));
  const confirmed = envelope('OrderConfirmed', 2, orderId, { orderId, customerId: dave, totalCents: 1700, currency: 'EUR', confirmedAt: new Date().toISOString(), customerEmail: 'dave@example.com' }, 'orders');
  await producer.send(topic(), confirmed);
  await producer.send(topic(), confirmed);
  // Count only once the consumer has seen (and dropped) the redelivery.
  await waitFor(async () => {
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    return /kafka_messages_consumed_total\{[^}]*type="OrderConfirmed"[^}]*result="duplicate"[^}]*\} [1-9]/.test(metrics);
  }, { timeoutMs: 20_000, message: 'the duplicate OrderConfirmed to be consumed' });

  const { items } = await list('dave', `orderId=${orderId}`);
  assert.equal(items.length, 1);
  assert.equal(items[0].template, 'order-confirmed');
  assert.equal(items[0].recipient, 'dave@example.com');
  assert.equal(items[0].sourceEventId, confirmed.id);
  assert.match(items[0].body, /EUR 17\.00/);
  // OrderPlaced is read past without a transaction: no inbox row for it.
  const [{ n }] = await service.ctx.sql`select count(*)::int as n from processed_messages`;
  assert.equal(n, 1, 'one inbox row: the OrderConfirmed');
  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  assert.match(metrics, /kafka_messages_consumed_total\{[^}]*type="OrderPlaced"[^}]*result="skipped"[^}]*\} 1/);
});

test('v1 OrderCancelled (an orders build before v2) is accepted and goes to the customer id', async () => {
  const orderId = randomUUID();
  await producer.send(topic(), placed(orderId, erin, 1));
  await producer.send(topic(), envelope('OrderCancelled', 1, orderId, { orderId, customerId: erin, reason: 'payment_declined: card_declined', cancelledAt: new Date().toISOString() }, 'orders'));

  const { items } = await waitFor(async () => {
    const page = await list('erin', `orderId=${orderId}`);
    return page.items.length > 0 ? page : undefined;
  }, { timeoutMs: 20_000, message: 'the cancellation notice' });
  assert.equal(items.length, 1);
  assert.equal(items[0].template, 'order-cancelled');
  assert.equal(items[0].recipient, `customer:${erin}`);
  assert.match(items[0].body, /payment was declined/);
});

test('customers see only their own notifications; staff see all, paged', async () => {
  await waitFor(async () => (await list('staff', 'limit=100')).items.length >= 2, { message: 'both notifications' });
  assert.ok((await list('dave', 'limit=100')).items.every((n) => n.recipient !== `customer:${erin}`));
  assert.equal((await list('erin', 'limit=100')).items.length, 1);

  const first = await list('staff', 'limit=1');
  assert.equal(first.items.length, 1);
  assert.ok(first.nextCursor);
  const second = await list('staff', `limit=1&cursor=${first.nextCursor}`);
  assert.notEqual(second.items[0].orderId, first.items[0].orderId);

  const anonymous = await fetch(`${service.url}/api/v1/notifications`);
  assert.equal(anonymous.status, 401);
});
