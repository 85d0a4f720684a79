/** Notification handlers on a real PostgreSQL: one notification per outcome event, to the email v2 carries. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { createDb, migrate, type Sql } from '@meridian/db';
import { consumerPlan, type EventHandler, messagingMigrations } from '@meridian/messaging';
import { createTempDatabase, type TempDatabase } from '@meridian/testkit';
import { listNotifications } from '../src/db/repository.ts';
import { notificationSubscriptions } from '../src/events/handlers.ts';
import { createdCounter } from '../src/metrics.ts';

let db: TempDatabase;
let sql: Sql;
let handlers: Record<string, EventHandler>;

before(async () => {
  db = await createTempDatabase('notifications_handlers');
  sql = createDb(db.url, { max: 5 });
  await migrate(sql, [messagingMigrations, fileURLToPath(new URL('../migrations', import.meta.url))]);
  handlers = consumerPlan(notificationSubscriptions(createdCounter(new Registry()))).handlers;
});

after(async () => {
  await sql.end();
  await db.drop();
});

/** Info lines the handlers logged (their decisions), as `msg orderId template`. */
const logged: string[] = [];
const logger = {
  debug() {},
  info: (fields: { orderId?: string; template?: string }, msg?: string) => logged.push(`${msg} ${fields.orderId} ${fields.template}`),
  warn() {},
  error() {},
};
const deliver = (type: string, version: number, data: object, id = randomUUID()) =>
  sql.begin((tx) => handlers[type]({ id, type, version, data } as never, tx, { logger } as never)).then(() => id);

test('OrderConfirmed v2 gives the email as recipient; the confirmation is recorded once per event', async () => {
  const orderId = randomUUID();
  const customerId = randomUUID();
  const confirmed = { orderId, customerId, totalCents: 1999, currency: 'EUR', confirmedAt: new Date().toISOString(), customerEmail: 'ann@example.com' };
  const eventId = await deliver('OrderConfirmed', 2, confirmed);
  await deliver('OrderConfirmed', 2, confirmed, eventId); // the same event again

  const items = await listNotifications(sql, { orderId, limit: 10 });
  assert.equal(items.length, 1);
  assert.equal(items[0].template, 'order-confirmed');
  assert.equal(items[0].recipient, 'ann@example.com');
  assert.equal(items[0].sourceEventId, eventId);
  assert.match(items[0].body, /EUR 19\.99/);
  // The order's trace gets one line for it: the notification, not the event delivered twice.
  assert.deepEqual(logged.filter((line) => line.includes(orderId)), [`notification recorded ${orderId} order-confirmed`]);
});

test('OrderCancelled v2 goes to the email and explains the reason', async () => {
  const orderId = randomUUID();
  await deliver('OrderCancelled', 2, { orderId, customerId: randomUUID(), reason: 'insufficient_stock', cancelledAt: new Date().toISOString(), customerEmail: 'bob@example.com' });

  const [n] = await listNotifications(sql, { orderId, limit: 10 });
  assert.equal(n.recipient, 'bob@example.com');
  assert.equal(n.template, 'order-cancelled');
  assert.match(n.body, /out of stock/);
});

test('a v1 outcome (from an orders build before v2) or a v2 one without an email goes to the customer id', async () => {
  const customerId = randomUUID();
  const [v1, v2] = [randomUUID(), randomUUID()];
  await deliver('OrderConfirmed', 1, { orderId: v1, customerId, totalCents: 500, currency: 'EUR', confirmedAt: new Date().toISOString() });
  await deliver('OrderCancelled', 2, { orderId: v2, customerId, reason: 'saga_timeout', cancelledAt: new Date().toISOString() });

  for (const orderId of [v1, v2]) {
    const [n] = await listNotifications(sql, { orderId, limit: 10 });
    assert.equal(n.recipient, `customer:${customerId}`);
  }
});

test('customers only list their own notifications', async () => {
  const mine = randomUUID();
  const orderId = randomUUID();
  await deliver('OrderCancelled', 1, { orderId, customerId: mine, reason: 'saga_timeout', cancelledAt: new Date().toISOString() });
  const own = await listNotifications(sql, { customerId: mine, limit: 10 });
  assert.deepEqual(own.map((n) => n.orderId), [orderId]);
  assert.equal((await listNotifications(sql, { customerId: randomUUID(), orderId, limit: 10 })).length, 0);
});
