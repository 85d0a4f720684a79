/** The orders application layer on a real PostgreSQL: placement, idempotency, saga transitions, timeout. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import type { ProductSnapshotV1 } from '@meridian/contracts';
import { createDb, migrate, type Sql } from '@meridian/db';
import { OverloadedProblem } from '@meridian/http';
import { createOutbox, messagingMigrations } from '@meridian/messaging';
import { createTempDatabase, type TempDatabase } from '@meridian/testkit';
import { createOrderAdmission } from '../src/admission.ts';
import * as repo from '../src/db/repository.ts';
import { OrderRejection } from '../src/domain/order.ts';
import { createOrderMetrics } from '../src/metrics.ts';
import { createOrders, type Orders, type SagaEvent } from '../src/orders.ts';

let db: TempDatabase;
let sql: Sql;
let orders: Orders;
const registry = new Registry();

const customer = { id: randomUUID(), email: 'ann@example.com' };
const lamp = snapshot({ priceCents: 1999 });
const chair = snapshot({ priceCents: 4500 });
const retired = snapshot({ active: false });

function snapshot(over: Partial<ProductSnapshotV1> = {}): ProductSnapshotV1 {
  const id = randomUUID();
  return {
    productId: id,
    sku: `SKU-${id.slice(0, 8)}`,
    name: `Product ${id.slice(0, 8)}`,
    description: '',
    category: 'Test',
    priceCents: 100,
    currency: 'EUR',
    active: true,
    updatedAt: new Date().toISOString(),
    ...over,
  };
}

before(async () => {
  db = await createTempDatabase('orders_app');
  sql = createDb(db.url, { max: 10 });
  await migrate(sql, [messagingMigrations, fileURLToPath(new URL('../migrations', import.meta.url))]);
  orders = createOrders({
    sql,
    outbox: createOutbox({ source: 'orders', ns: 'apptest' }),
    metrics: createOrderMetrics(registry),
    source: 'orders',
  });
  await sql.begin(async (tx) => {
    for (const p of [lamp, chair, retired]) await repo.upsertCatalogProduct(tx, p);
  });
});

after(async () => {
  await sql.end();
  await db.drop();
});

const outboxOf = (orderId: string) =>
  sql<{ type: string; version: number; topic: string; key: string; payload: any }[]>`
    select type, version, topic, key, payload from outbox where key = ${orderId} order by seq`;

test('placing an order prices it from the read model and writes OrderPlaced v2 in the same transaction', async () => {
  const result = await orders.placeOrder(customer, {
    items: [{ productId: lamp.productId, quantity: 2 }, { productId: chair.productId, quantity: 1 }, { productId: lamp.productId, quantity: 1 }],
    paymentToken: 'tok_visa',
    idempotencyKey: randomUUID(),
  });
  assert.equal(result.kind, 'created');
  const order = await repo.getOrder(sql, result.id);
  assert.equal(order?.status, 'PENDING');
  assert.equal(order?.totalCents, 3 * 1999 + 4500);
  assert.deepEqual(order?.items.map((i) => i.quantity).sort(), [1, 3], 'duplicate lines merged');

  const [placed] = await outboxOf(result.id);
  assert.equal(placed.type, 'OrderPlaced');
  assert.equal(placed.version, 2);
  assert.equal(placed.topic, 'apptest.orders.events');
  assert.equal(placed.payload.data.customerEmail, 'ann@example.com');
  assert.equal(placed.payload.data.totalCents, 3 * 1999 + 4500);
  assert.equal(placed.payload.data.items.length, 2);
  assert.equal((await registry.getSingleMetricAsString('orders_placed_total')).includes('orders_placed_total 1'), true);
});

test('unknown and inactive products are rejected, naming them, and nothing is written', async () => {
  const ghost = randomUUID();
  await assert.rejects(
    orders.placeOrder(customer, {
      items: [{ productId: retired.productId, quantity: 1 }, { productId: ghost, quantity: 1 }],
      paymentToken: 'tok_visa',
      idempotencyKey: 'rejected-key',
    }),
    (e: unknown) => e instanceof OrderRejection && e.code === 'unknown-product' && e.productIds.includes(ghost),
  );
  assert.equal(await repo.findOrderByIdempotencyKey(sql, customer.id, 'rejected-key'), undefined);
});

test('an idempotency key replays the same order, even when 10 requests race; another body is refused', async () => {
  const key = randomUUID();
  const request = { items: [{ productId: lamp.productId, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey: key };
  const results = await Promise.all(Array.from({ length: 10 }, () => orders.placeOrder(customer, request)));
  const ids = new Set(results.map((r) => r.id));
  assert.equal(ids.size, 1);
  assert.equal(results.filter((r) => r.kind === 'created').length, 1);
  assert.equal(results.filter((r) => r.kind === 'replayed').length, 9);
  assert.equal((await outboxOf([...ids][0])).length, 1, 'one OrderPlaced');

  const other = await orders.placeOrder(customer, { ...request, items: [{ productId: lamp.productId, quantity: 2 }] });
  assert.deepEqual(other, { kind: 'key-reused', id: [...ids][0] });
  // The same key is a different order for another customer.
  const someoneElse = await orders.placeOrder({ id: randomUUID() }, request);
  assert.equal(someoneElse.kind, 'created');
  assert.notEqual(someoneElse.id, [...ids][0]);
});

test('a replay is answered as the first request was, even after its product left the catalog', async () => {
  const mug = snapshot({ priceCents: 900, updatedAt: '2026-01-01T00:00:00.000Z' });
  await sql.begin((tx) => repo.upsertCatalogProduct(tx, mug));
  const request = { items: [{ productId: mug.productId, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey: randomUUID() };
  const first = await orders.placeOrder(customer, request);
  assert.equal(first.kind, 'created');
  await sql.begin((tx) => repo.deactivateCatalogProduct(tx, { productId: mug.productId, deactivatedAt: '2026-01-02T00:00:00.000Z' }));

  assert.deepEqual(await orders.placeOrder(customer, request), { kind: 'replayed', id: first.id });
  assert.deepEqual(await orders.placeOrder(customer, { ...request, items: [{ productId: mug.productId, quantity: 2 }] }), { kind: 'key-reused', id: first.id });
  // A new key for the retired product is refused.
  await assert.rejects(orders.placeOrder(customer, { ...request, idempotencyKey: randomUUID() }), (e: unknown) => e instanceof OrderRejection);
  assert.equal((await outboxOf(first.id)).length, 1, 'one OrderPlaced');
});

async function pendingOrder(): Promise<string> {
  const r = await orders.placeOrder(customer, {
    items: [{ productId: chair.productId, quantity: 1 }],
    paymentToken: 'tok_visa',
    idempotencyKey: randomUUID(),
  });
  return r.id;
}

function sagaEvent(type: SagaEvent['type'], orderId: string, data: Record<string, unknown> = {}): SagaEvent {
  return { id: randomUUID(), type, version: 1, source: 'test', data: { orderId, ...data } } as SagaEvent;
}

test('PaymentAuthorized confirms a pending order; later events are recorded and ignored', async () => {
  const id = await pendingOrder();
  await sql.begin((tx) => orders.handleSagaEvent(tx, sagaEvent('StockReserved', id)));
  await sql.begin((tx) => orders.handleSagaEvent(tx, sagaEvent('PaymentAuthorized', id)));
  await sql.begin((tx) => orders.handleSagaEvent(tx, sagaEvent('PaymentDeclined', id, { reason: 'card_declined' })));

  const order = await repo.getOrder(sql, id);
  assert.equal(order?.status, 'CONFIRMED');
  assert.deepEqual((await outboxOf(id)).map((e) => e.type), ['OrderPlaced', 'OrderConfirmed']);
  const history = await repo.orderHistory(sql, id);
  assert.deepEqual(
    history.map((h) => `${h.direction}:${h.type}:${h.outcome}`),
    ['out:OrderPlaced:applied', 'in:StockReserved:recorded', 'in:PaymentAuthorized:applied', 'out:OrderConfirmed:applied', 'in:PaymentDeclined:ignored'],
  );
  assert.match(history.at(-1)?.note ?? '', /already CONFIRMED/);
});

test('an informational event is recorded without locking its order, and not at all for an order that is not ours', async () => {
  const id = await pendingOrder();
  // Another transaction holds the order's row (a transition in progress) while StockReserved is handled.
  const holder = await sql.reserve();
  try {
    await holder`begin`;
    await holder`select id from orders where id = ${id} for update`;
    const decided = await sql.begin(async (tx) => {
      await tx`select set_config('lock_timeout', '2s', true)`; // a lock wait fails the test instead of hanging it
      return orders.handleSagaEvent(tx, sagaEvent('StockReserved', id));
    });
    assert.equal(decided, undefined, 'nothing to decide');
  } finally {
    await holder`rollback`;
    holder.release();
  }
  assert.deepEqual((await repo.orderHistory(sql, id)).map((h) => `${h.direction}:${h.type}:${h.outcome}`), ['out:OrderPlaced:applied', 'in:StockReserved:recorded']);

  const stranger = randomUUID();
  await sql.begin((tx) => orders.handleSagaEvent(tx, sagaEvent('StockReleased', stranger, { reason: 'expired', items: [] })));
  assert.equal((await repo.orderHistory(sql, stranger)).length, 0, 'an order of another service is not recorded');
});

test('StockRejected and PaymentDeclined cancel with their reasons', async () => {
  const rejected = await pendingOrder();
  await sql.begin((tx) => orders.handleSagaEvent(tx, sagaEvent('StockRejected', rejected, { reason: 'insufficient_stock' })));
  const declined = await pendingOrder();
  await sql.begin((tx) => orders.handleSagaEvent(tx, sagaEvent('PaymentDeclined', declined, { reason: 'card_declined' })));

  assert.equal((await repo.getOrder(sql, rejected))?.reason, 'insufficient_stock');
  const order = await repo.getOrder(sql, declined);
  assert.equal(order?.status, 'CANCELLED');
  assert.equal(order?.reason, 'payment_declined: card_declined');
  const [, cancelled] = await outboxOf(declined);
  assert.equal(cancelled.type, 'OrderCancelled');
  assert.equal(cancelled.payload.data.reason, 'payment_declined: card_declined');
});

test('the timeout sweep cancels only stale PENDING orders with saga_timeout', async () => {
  const stale = await pendingOrder();
  const fresh = await pendingOrder();
  await sql`update orders set created_at = now() - interval '10 minutes' where id = ${stale}`;
  assert.ok((await orders.cancelTimedOut(120)) >= 1);
  assert.equal((await repo.getOrder(sql, stale))?.reason, 'saga_timeout');
  assert.equal((await repo.getOrder(sql, fresh))?.status, 'PENDING');
  assert.equal((await outboxOf(stale)).at(-1)?.type, 'OrderCancelled');
  const metrics = await registry.getSingleMetricAsString('orders_cancelled_total');
  assert.match(metrics, /orders_cancelled_total\{reason="saga_timeout"\} 1/);
});

test('the catalog read model ignores a snapshot older than the stored one and applies deactivation', async () => {
  const p = snapshot({ priceCents: 500, updatedAt: '2026-01-02T00:00:00.000Z' });
  await sql.begin((tx) => repo.upsertCatalogProduct(tx, p));
  await sql.begin((tx) => repo.upsertCatalogProduct(tx, { ...p, priceCents: 1, updatedAt: '2026-01-01T00:00:00.000Z' }));
  assert.equal((await repo.findCatalogProducts(sql, [p.productId])).get(p.productId)?.priceCents, 500);
  await sql.begin((tx) => repo.deactivateCatalogProduct(tx, { productId: p.productId, deactivatedAt: '2026-01-03T00:00:00.000Z' }));
  assert.equal((await repo.findCatalogProducts(sql, [p.productId])).get(p.productId)?.active, false);
});

test('admission counts the orders the saga holds, not those buffered in the outbox while Kafka is away', async () => {
  await sql`update orders set status = 'CANCELLED', reason = 'test' where status = 'PENDING'`;
  await sql`update outbox set published_at = now() where published_at is null`;
  const place = () =>
    orders.placeOrder(customer, { items: [{ productId: lamp.productId, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey: randomUUID() });
  for (let i = 0; i < 3; i++) await place();

  const metricsRegistry = new Registry();
  const counted = async () => {
    const admission = createOrderAdmission({ sql, maxInProgress: 2, refreshMs: 0, registry: metricsRegistry });
    admission.admit();
    await new Promise((resolve) => setTimeout(resolve, 100));
    try {
      admission.admit();
      return 'admitted';
    } catch (err) {
      assert.ok(err instanceof OverloadedProblem);
      return err.detail;
    }
  };
  assert.equal(await counted(), 'admitted', 'three PENDING orders whose OrderPlaced is unpublished are buffered, not in progress');
  await sql`update outbox set published_at = now() where published_at is null`;
  assert.match(await counted(), /^3 orders are in progress \(limit 2\)/, 'once published, the saga holds them');
});

test('admission sizes its limit by the orders the saga finished: PENDING before + placed since - PENDING now', async () => {
  await sql`update orders set status = 'CANCELLED', reason = 'test' where status = 'PENDING'`;
  await sql`update outbox set published_at = now() where published_at is null`;
  const metricsRegistry = new Registry();
  const admission = createOrderAdmission({ sql, maxInProgress: 100, stalledBelowPerSecond: 0, targetMs: 1000, refreshMs: 0, registry: metricsRegistry });
  const limit = async () => Number(/orders_admission_limit (\d+)/.exec(await metricsRegistry.metrics())?.[1]);
  const countNow = async () => {
    try {
      admission.admit();
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 50)); // the count runs in the background
  };

  await countNow(); // the first count: nothing before it, so no rate
  const started = Date.now();
  const placed = [];
  for (let i = 0; i < 30; i++) {
    placed.push(await orders.placeOrder(customer, { items: [{ productId: lamp.productId, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey: randomUUID() }));
  }
  await sql`update outbox set published_at = now() where published_at is null`;
  const ids = placed.map((result) => result.id);
  await sql`update orders set status = 'CONFIRMED' where id in ${sql(ids.slice(0, 20))}`; // the saga finished 20 of the 30
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1_050 - (Date.now() - started))));
  assert.equal(await limit(), 100, 'the first count has no rate: the highest limit');
  await countNow();
  const elapsedSeconds = (Date.now() - started) / 1000;
  const measured = await limit();
  assert.ok(measured <= 20 && measured >= Math.floor(20 / elapsedSeconds), `20 finished in ${elapsedSeconds} s: a limit of about 20, got ${measured}`);
  let admitted = 0;
  for (; admitted < 100; admitted++) {
    try {
      admission.admit();
    } catch (error) {
      assert.ok(error instanceof OverloadedProblem);
      break;
    }
  }
  assert.equal(admitted, measured - 10, 'the 10 orders still PENDING count against the limit');
});

test('the admission count reads indexes, not the orders table, however many orders there are', async (t) => {
  // A database of its own, so that no other test's statements show in its table statistics.
  const own = await createTempDatabase('orders_admission');
  t.after(() => own.drop());
  const setup = createDb(own.url, { max: 1 });
  await migrate(setup, [messagingMigrations, fileURLToPath(new URL('../migrations', import.meta.url))]);
  await setup.end();
  const sql = createDb(own.url, { max: 2 });
  t.after(() => sql.end());
  const scans = async () => {
    await sql`select pg_stat_clear_snapshot()`;
    const [row] = await sql<{ seq: number; idx: number }[]>`
      select seq_scan::int as seq, idx_scan::int as idx from pg_stat_user_tables where relname = 'orders'`;
    return row!;
  };
  // Finished orders an hour old, the table never analyzed (as on a server without autovacuum): planner
  // defaults. 3,000 is where a limit of 1,000 on the orders counted was planned as a scan of the whole
  // table (a third of it estimated to match); 30,000 where a plain count(*) was.
  let total = 0;
  for (const orders of [3_000, 30_000]) {
    const bulk = createDb(own.url, { max: 1 });
    await bulk`
      insert into orders (id, customer_id, status, total_cents, currency, payment_token, idempotency_key, request_hash, created_at, updated_at)
      select gen_random_uuid(), ${customer.id}, 'CONFIRMED', 100, 'EUR', 'tok_visa', 'bulk-' || n, 'h', now() - interval '1 hour', now() - interval '1 hour'
      from generate_series(${total + 1}::int, ${orders}::int) n`;
    // Building the indexes read the table; a backend reports its statistics at the latest when it exits.
    await bulk.end();
    total = orders;
    let before = await scans();
    for (let settled = 0; settled < 3; ) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const now = await scans();
      settled = now.seq === before.seq ? settled + 1 : 0;
      before = now;
    }
    const admission = createOrderAdmission({ sql, maxInProgress: 100, refreshMs: 0, registry: new Registry() });
    // More counts than a prepared statement's custom plans (5), so the generic plan runs too.
    for (let i = 0; i < 8; i++) {
      admission.admit();
      await new Promise((resolve) => setTimeout(resolve, 30)); // the count runs in the background
    }
    // A backend reports its scans within a second or two of going idle, not all at once: wait for as
    // many as asserted below (each of the 8 counts reads two indexes), or 10 s.
    let after = await scans();
    for (const started = Date.now(); after.idx - before.idx < 16 && Date.now() - started < 10_000; after = await scans()) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(after.seq - before.seq, 0, `no count read the whole orders table (${orders} orders)`);
    assert.ok(after.idx - before.idx >= 16, `each count read the orders indexes twice (${after.idx - before.idx} index scans, ${orders} orders)`);
  }
});
