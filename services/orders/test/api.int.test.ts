/** The orders HTTP API on the real chassis server, real auth tokens and a real PostgreSQL. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { createAuthVerifier, createTokenIssuer } from '@meridian/auth';
import { createDb, migrate, type Sql } from '@meridian/db';
import { createHttpServer, type App } from '@meridian/http';
import { createLogger } from '@meridian/log';
import { createOutbox, messagingMigrations } from '@meridian/messaging';
import { createTempDatabase, type TempDatabase } from '@meridian/testkit';
import { registerRoutes } from '../src/api/routes.ts';
import * as repo from '../src/db/repository.ts';
import { createOrderMetrics } from '../src/metrics.ts';
import { createOrders } from '../src/orders.ts';

let db: TempDatabase;
let sql: Sql;
let app: App;
const tokens: Record<'alice' | 'bob' | 'staff', string> = { alice: '', bob: '', staff: '' };
const alice = randomUUID();
const productId = randomUUID();

before(async () => {
  db = await createTempDatabase('orders_api');
  sql = createDb(db.url, { max: 5 });
  await migrate(sql, [messagingMigrations, fileURLToPath(new URL('../migrations', import.meta.url))]);
  await sql.begin((tx) =>
    repo.upsertCatalogProduct(tx, {
      productId,
      sku: 'LAMP-1',
      name: 'Desk lamp',
      description: '',
      category: 'Lighting',
      priceCents: 2500,
      currency: 'EUR',
      active: true,
      updatedAt: new Date().toISOString(),
    }),
  );
  const issuer = await createTokenIssuer({ generate: true });
  const auth = createAuthVerifier({ getJwks: () => issuer.jwks() });
  tokens.alice = await issuer.issue({ sub: alice, email: 'alice@example.com', role: 'customer' });
  tokens.bob = await issuer.issue({ sub: randomUUID(), email: 'bob@example.com', role: 'customer' });
  tokens.staff = await issuer.issue({ sub: randomUUID(), email: 'staff@example.com', role: 'staff' });
  const orders = createOrders({
    sql,
    outbox: createOutbox({ source: 'orders', ns: 'apitest' }),
    metrics: createOrderMetrics(new Registry()),
    source: 'orders',
  });
  app = await createHttpServer({
    name: 'orders',
    version: 'test',
    logger: createLogger({ service: 'orders', version: 'test', instance: 'test', level: 'silent' }),
  });
  registerRoutes(app, { sql, orders, auth });
  await app.ready();
});

after(async () => {
  await app.close();
  await sql.end();
  await db.drop();
});

const post = (body: unknown, headers: Record<string, string> = {}, who: keyof typeof tokens = 'alice') =>
  app.inject({ method: 'POST', url: '/api/v1/orders', payload: body as object, headers: { authorization: `Bearer ${tokens[who]}`, ...headers } });
const get = (url: string, who?: keyof typeof tokens) =>
  app.inject({ method: 'GET', url, headers: who ? { authorization: `Bearer ${tokens[who]}` } : {} });
const order = (quantity = 1) => ({ items: [{ productId, quantity }], paymentToken: 'tok_visa' });

test('POST /api/v1/orders → 202 PENDING with Location; replay → same body; other body → 409', async () => {
  const key = randomUUID();
  const first = await post(order(), { 'idempotency-key': key });
  assert.equal(first.statusCode, 202);
  const body = first.json();
  assert.equal(body.status, 'PENDING');
  assert.equal(first.headers.location, `/api/v1/orders/${body.id}`);

  const replay = await post(order(), { 'idempotency-key': key });
  assert.equal(replay.statusCode, 202);
  assert.deepEqual(replay.json(), body);
  assert.equal(replay.headers['idempotent-replayed'], 'true');

  const reused = await post(order(2), { 'idempotency-key': key });
  assert.equal(reused.statusCode, 409);
  assert.match(String(reused.headers['content-type']), /^application\/problem\+json/);
  assert.equal(reused.json().type, 'https://meridian.dev/problems/idempotency-key-reused');
});

test('bad requests are 400 problems naming the field', async () => {
  const noKey = await post(order());
  assert.equal(noKey.statusCode, 400);
  assert.ok(noKey.json().errors.some((e: { field: string }) => e.field.includes('idempotency-key')), noKey.body);

  const tooLong = await post(order(), { 'idempotency-key': 'k'.repeat(201) });
  assert.equal(tooLong.statusCode, 400);

  const badQuantity = await post(order(1001), { 'idempotency-key': randomUUID() });
  assert.equal(badQuantity.statusCode, 400);
  assert.ok(badQuantity.json().errors.some((e: { field: string }) => e.field === 'items.0.quantity'), badQuantity.body);

  const tooManyLines = await post(
    { items: Array.from({ length: 51 }, () => ({ productId: randomUUID(), quantity: 1 })), paymentToken: 'tok' },
    { 'idempotency-key': randomUUID() },
  );
  assert.equal(tooManyLines.statusCode, 400);
  assert.equal((await post({ ...order(), extra: 1 }, { 'idempotency-key': randomUUID() })).statusCode, 400);
});

test('an unknown product is a 422 naming it', async () => {
  const ghost = randomUUID();
  const res = await post({ items: [{ productId: ghost, quantity: 1 }], paymentToken: 'tok_visa' }, { 'idempotency-key': randomUUID() });
  assert.equal(res.statusCode, 422);
  assert.equal(res.json().type, 'https://meridian.dev/problems/unknown-product');
  assert.deepEqual(res.json().productIds, [ghost]);
  assert.match(res.json().detail, new RegExp(ghost));
});

test('customers read only their own orders; staff read everything with history', async () => {
  const { id } = (await post(order(3), { 'idempotency-key': randomUUID() })).json();
  const mine = await get(`/api/v1/orders/${id}`, 'alice');
  assert.equal(mine.statusCode, 200);
  assert.equal(mine.json().totalCents, 7500);
  assert.deepEqual(mine.json().items, [{ productId, sku: 'LAMP-1', name: 'Desk lamp', quantity: 3, unitPriceCents: 2500, lineTotalCents: 7500 }]);

  const foreign = await get(`/api/v1/orders/${id}`, 'bob');
  const missing = await get(`/api/v1/orders/${randomUUID()}`, 'bob');
  assert.equal(foreign.statusCode, 404);
  assert.equal(missing.statusCode, 404);
  assert.equal(foreign.json().title, missing.json().title);
  assert.equal((await get('/api/v1/orders', 'bob')).json().items.length, 0);

  assert.equal((await get('/api/v1/orders')).statusCode, 401);
  assert.equal((await get('/api/v1/admin/orders', 'alice')).statusCode, 403);
  const admin = await get(`/api/v1/admin/orders/${id}`, 'staff');
  assert.equal(admin.statusCode, 200);
  assert.deepEqual(admin.json().history.map((h: { type: string }) => h.type), ['OrderPlaced']);
  assert.equal(admin.json().history[0].data.customerEmail, 'alice@example.com');
});

test('lists page with an opaque cursor, every order exactly once; admin filters', async () => {
  for (let i = 0; i < 5; i++) await post(order(), { 'idempotency-key': randomUUID() });
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await get(`/api/v1/orders?limit=2${cursor ? `&cursor=${cursor}` : ''}`, 'alice');
    assert.equal(res.statusCode, 200);
    const page = res.json();
    assert.ok(page.items.length <= 2);
    seen.push(...page.items.map((o: { id: string }) => o.id));
    cursor = page.nextCursor;
  } while (cursor);
  const all = await sql`select id from orders where customer_id = ${alice}`;
  assert.equal(seen.length, all.length);
  assert.equal(new Set(seen).size, all.length);

  assert.equal((await get('/api/v1/orders?cursor=garbage', 'alice')).statusCode, 400);
  const filtered = await get(`/api/v1/admin/orders?customerId=${alice}&status=PENDING&limit=100`, 'staff');
  assert.equal(filtered.json().items.length, all.length);
  const none = await get(`/api/v1/admin/orders?status=CONFIRMED&from=${encodeURIComponent(new Date().toISOString())}`, 'staff');
  assert.equal(none.json().items.length, 0);
  assert.equal((await get('/api/v1/admin/orders?status=SHIPPED', 'staff')).statusCode, 400);
});

test('the OpenAPI document describes the orders routes', async () => {
  const doc = (await get('/openapi.json')).json();
  assert.ok(doc.paths['/api/v1/orders'].post);
  assert.ok(doc.paths['/api/v1/admin/orders/{id}'].get);
});
