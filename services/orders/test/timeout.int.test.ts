/** The running service's sweeper cancels a PENDING order after ORDER_TIMEOUT_SECONDS and publishes it. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startService, type RunningService } from '@meridian/service';
import { createTempDatabase, uniqueName, type TempDatabase, serviceEnv } from '@meridian/testkit';
import { ordersService } from '../src/service.ts';
import { deleteNamespaceTopics, startReading, startTokenAuthority } from './support.ts';

const ns = uniqueName('orders_timeout');
let db: TempDatabase;
let service: RunningService<any>;
let authority: Awaited<ReturnType<typeof startTokenAuthority>>;

before(async () => {
  db = await createTempDatabase('orders_timeout');
  authority = await startTokenAuthority(ns);
  service = await startService(ordersService(), serviceEnv({ databaseUrl: db.url, ns }, { LOG_LEVEL: 'silent', ORDER_TIMEOUT_SECONDS: '1', ORDER_SWEEP_INTERVAL_MS: '200' }));
});

after(async () => {
  await service?.stop();
  await authority?.stop();
  await db?.drop();
  await deleteNamespaceTopics(ns);
});

test('an order nobody answers is cancelled with saga_timeout and OrderCancelled is published', async () => {
  const productId = randomUUID();
  await service.ctx.sql`
    insert into catalog_products (product_id, sku, name, price_cents, currency, active, updated_at)
    values (${productId}, 'TEA-1', 'Green tea', 450, 'EUR', true, now())`;
  const customerId = randomUUID();
  const token = await authority.issuer.issue({ sub: customerId, email: 'tim@example.com', role: 'customer' });
  const res = await fetch(`${service.url}/api/v1/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify({ items: [{ productId, quantity: 1 }], paymentToken: 'tok_visa' }),
  });
  assert.equal(res.status, 202);
  const { id } = await res.json();

  const reader = await startReading(`${ns}.orders.events`);
  try {
    const cancelled = await reader.find((e) => e.type === 'OrderCancelled' && e.key === id, 'OrderCancelled on Kafka');
    assert.equal(cancelled.data.reason, 'saga_timeout');
    assert.equal(cancelled.data.customerId, customerId);
  } finally {
    await reader.close();
  }
  const order = await (await fetch(`${service.url}/api/v1/orders/${id}`, { headers: { authorization: `Bearer ${token}` } })).json();
  assert.equal(order.status, 'CANCELLED');
  assert.equal(order.reason, 'saga_timeout');
});
