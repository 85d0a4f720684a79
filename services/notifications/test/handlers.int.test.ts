/** Notification handlers on a real PostgreSQL: v1/v2 OrderPlaced, one notification per outcome event. */
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

function placed(orderId: string, customerId: string, email?: string) {
  return {
    orderId,
    customerId,
    items: [{ productId: randomUUID(), sku: 'SKU-1', name: 'Lamp', quantity: 1, unitPriceCents: 1999 }],
    totalCents: 1999,
    currency: 'EUR',
    paymentToken: 'tok_visa',
    placedAt: new Date().toISOString(),
    ...(email ? { customerEmail: email } : {}),
  };
}

test('OrderPlaced v2 gives the email as recipient; the confirmation is recorded once per event', async () => {
  const orderId = randomUUID();
  const customerId = randomUUID();
  await deliver('OrderPlaced', 2, placed(orderId, customerId, 'ann@example.com'));
  const confirmed = { orderId, customerId, totalCents: 1999, currency: 'EUR', confirmedAt: new Date().toISOString() };
  const eventId = await deliver('OrderConfirmed', 1, confirmed);
  await deliver('OrderConfirmed', 1, confirmed, eventId); // the same event again

  const items = await listNotifications(sql, { orderId, limit: 10 });
  assert.equal(items.length, 1);
  assert.equal(items[0].template, 'order-confirmed');
  assert.equal(items[0].recipient, 'ann@example.com');
  assert.equal(items[0].sourceEventId, eventId);
  assert.match(items[0].body, /EUR 19\.99/);
  // The order's trace gets one line for it: the notification, not the event delivered twice.
  assert.deepEqual(logged.filter((line) => line.includes(orderId)), [`notification recorded ${orderId} order-confirmed`]);
});

test('OrderPlaced v1 keeps only the customer id; the cancellation explains the reason', async () => {
  const orderId = randomUUID();
  const customerId = randomUUID();
  await deliver('OrderPlaced', 1, placed(orderId, customerId));
  await deliver('OrderCancelled', 1, { orderId, customerId, reason: 'insufficient_stock', cancelledAt: new Date().toISOString() });

  const [n] = await listNotifications(sql, { orderId, limit: 10 });
  assert.equal(n.recipient, `customer:${customerId}`);
  assert.equal(n.template, 'order-cancelled');
  assert.match(n.body, /out of stock/);
});

test('customers only list their own notifications', async () => {
  const mine = randomUUID();
  const orderId = randomUUID();
  await deliver('OrderCancelled', 1, { orderId, customerId: mine, reason: 'saga_timeout', cancelledAt: new Date().toISOString() });
  const own = await listNotifications(sql, { customerId: mine, limit: 10 });
  assert.deepEqual(own.map((n) => n.orderId), [orderId]);
  assert.equal((await listNotifications(sql, { customerId: randomUUID(), orderId, limit: 10 })).length, 0);
});
