import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { waitFor } from '@meridian/testkit';
import { identityService } from '../../identity/src/service.ts';
import { call, cleanupNamespace, readEvents, startTestService, testNamespace, type JsonResponse, type TestService } from '../../identity/test/support.ts';
import { catalogService } from '../src/service.ts';

const ns = testNamespace();
const staff = { email: 'staff@catalog.test', password: 'staff-password-1' };
let identity: TestService;
let catalog: TestService;
let staffToken: string;
let customerToken: string;

const products = (path = '', version = 'v1') => `${catalog.url}/api/${version}/products${path}`;
const uniqueSku = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`.toUpperCase();

async function createProduct(body: Record<string, unknown>) {
  const response = await call(products(), { method: 'POST', token: staffToken, body });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body;
}

before(async () => {
  identity = await startTestService(identityService, ns, { STAFF_EMAIL: staff.email, STAFF_PASSWORD: staff.password });
  catalog = await startTestService(catalogService, ns);
  const login = (body: unknown) => call(`${identity.url}/api/v1/auth/login`, { method: 'POST', body });
  staffToken = (await login(staff)).body.accessToken;
  await call(`${identity.url}/api/v1/auth/register`, { method: 'POST', body: { email: 'shopper@catalog.test', password: 'shopper-pass', name: 'Shopper' } });
  customerToken = (await login({ email: 'shopper@catalog.test', password: 'shopper-pass' })).body.accessToken;
});

after(async () => {
  await catalog.stop();
  await identity.stop();
  await Promise.all([catalog.db.drop(), identity.db.drop()]);
  await cleanupNamespace(ns);
});

test('only staff may create products: anonymous 401, customer 403', async () => {
  const body = { sku: uniqueSku('AUTH'), name: 'Forbidden Fruit', category: 'Food', priceCents: 100 };
  const anonymous = await call(products(), { method: 'POST', body });
  assert.equal(anonymous.status, 401);
  const customer = await call(products(), { method: 'POST', token: customerToken, body });
  assert.equal(customer.status, 403);
  assert.equal(customer.body.type, 'https://meridian.dev/problems/forbidden');
  const patch = await call(products(`/${crypto.randomUUID()}`), { method: 'PATCH', token: customerToken, body: { priceCents: 1 } });
  assert.equal(patch.status, 403);
});

test('staff creates a product (201, Location); a taken sku is 409; a bad body is 400 naming the field', async () => {
  const sku = uniqueSku('KET');
  const response = await call(products(), {
    method: 'POST',
    token: staffToken,
    body: { sku, name: 'Pour-Over Kettle', description: 'Gooseneck, 1 l', category: 'Kitchen', priceCents: 4999 },
  });
  assert.equal(response.status, 201);
  assert.equal(response.headers.get('location'), `/api/v1/products/${response.body.id}`);
  assert.deepEqual(
    { ...response.body, id: undefined, createdAt: undefined, updatedAt: undefined },
    { id: undefined, sku, name: 'Pour-Over Kettle', description: 'Gooseneck, 1 l', category: 'Kitchen', priceCents: 4999, currency: 'EUR', active: true, createdAt: undefined, updatedAt: undefined },
  );

  const taken = await call(products(), { method: 'POST', token: staffToken, body: { sku, name: 'Other', category: 'Kitchen', priceCents: 1 } });
  assert.equal(taken.status, 409);
  assert.equal(taken.body.type, 'https://meridian.dev/problems/sku-taken');

  const invalid = await call(products(), { method: 'POST', token: staffToken, body: { sku: uniqueSku('BAD'), name: 'Bad', category: 'Kitchen', priceCents: -5 } });
  assert.equal(invalid.status, 400);
  assert.equal(invalid.body.type, 'https://meridian.dev/problems/validation-failed');
  assert.deepEqual(invalid.body.errors.map((e: { field: string }) => e.field), ['priceCents']);

  const unknown = await call(products(`/${crypto.randomUUID()}`));
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.type, 'https://meridian.dev/problems/not-found');
});

test('v1 and v2 coexist: v1 is flat and deprecated, v2 nests the price', async () => {
  const created = await createProduct({ sku: uniqueSku('VER'), name: 'Versioned Lamp', category: 'Lighting', priceCents: 2590, currency: 'USD' });
  const v1 = await call(products(`/${created.id}`));
  const v2 = await call(products(`/${created.id}`, 'v2'));
  assert.equal(v1.status, 200);
  assert.equal(v2.status, 200);
  assert.equal(v1.body.priceCents, 2590);
  assert.equal(v1.body.currency, 'USD');
  assert.deepEqual(v2.body.price, { amount: 2590, currency: 'USD' });
  assert.equal('priceCents' in v2.body, false);

  assert.match(v1.headers.get('deprecation') ?? '', /^@\d+$/);
  assert.ok(!Number.isNaN(Date.parse(v1.headers.get('sunset') ?? '')), 'Sunset is an HTTP date');
  assert.match(v1.headers.get('sunset') ?? '', /GMT$/);
  assert.equal(v1.headers.get('link'), '</api/v2/products>; rel="successor-version"');
  for (const header of ['deprecation', 'sunset', 'link']) assert.equal(v2.headers.get(header), null, header);

  const list = await call(products('?category=Lighting'));
  assert.match(list.headers.get('deprecation') ?? '', /^@\d+$/);

  // v2 writes take the nested price too.
  const v2Created = await call(products('', 'v2'), {
    method: 'POST',
    token: staffToken,
    body: { sku: uniqueSku('V2'), name: 'Second Lamp', category: 'Lighting', price: { amount: 1200, currency: 'EUR' } },
  });
  assert.equal(v2Created.status, 201);
  assert.deepEqual(v2Created.body.price, { amount: 1200, currency: 'EUR' });
  const v2Patched = await call(products(`/${v2Created.body.id}`, 'v2'), { method: 'PATCH', token: staffToken, body: { price: { amount: 1300, currency: 'EUR' } } });
  assert.deepEqual(v2Patched.body.price, { amount: 1300, currency: 'EUR' });
});

test('search, category filter and cursor paging return every matching product exactly once', async () => {
  const category = `Paging ${randomBytes(3).toString('hex')}`;
  const marker = `zq${randomBytes(3).toString('hex')}`;
  const names = Array.from({ length: 23 }, (_, i) => `${['Oak', 'Ash', 'Elm', 'Yew'][i % 4]} Shelf ${String(i).padStart(2, '0')}`);
  const created = [];
  for (const [i, name] of names.entries()) {
    created.push(await createProduct({ sku: uniqueSku(`PG${i}`), name, description: i % 3 === 0 ? `Has ${marker} inside` : 'Plain', category, priceCents: 1000 + i }));
  }
  // Same name twice: the (name, id) keyset still orders and pages them.
  created.push(await createProduct({ sku: uniqueSku('PGDUP'), name: names[0], category, priceCents: 1 }));

  const seen: { id: string; name: string }[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const query = new URLSearchParams({ category, limit: '5', ...(cursor ? { cursor } : {}) });
    const page: JsonResponse = await call(products(`?${query}`, 'v2'));
    assert.equal(page.status, 200);
    assert.ok(page.body.items.length <= 5);
    seen.push(...page.body.items);
    cursor = page.body.nextCursor;
    pages++;
  } while (cursor);
  assert.equal(pages, 5);
  assert.equal(seen.length, created.length);
  assert.deepEqual(new Set(seen.map((p) => p.id)), new Set(created.map((p) => p.id)));
  const order = seen.map((p) => p.name);
  assert.deepEqual(order, [...order].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), 'name order');

  // q matches name, description and sku, case-insensitively, within the filter.
  const byDescription = await call(products(`?${new URLSearchParams({ q: marker.toUpperCase(), category, limit: '100' })}`));
  assert.equal(byDescription.body.items.length, 8);
  const byName = await call(products(`?${new URLSearchParams({ q: 'elm shelf', category })}`));
  assert.deepEqual(byName.body.items.map((p: { name: string }) => p.name), names.filter((n) => n.startsWith('Elm')));
  const bySku = await call(products(`?${new URLSearchParams({ q: created[5].sku.toLowerCase() })}`));
  assert.deepEqual(bySku.body.items.map((p: { id: string }) => p.id), [created[5].id]);
  const wildcard = await call(products(`?${new URLSearchParams({ q: '%', category })}`));
  assert.equal(wildcard.body.items.length, 0, 'LIKE wildcards in q are literal');

  const categories = await call(`${catalog.url}/api/v1/categories`);
  assert.deepEqual(categories.body.items.find((c: { name: string }) => c.name === category), { name: category, count: 24 });
});

test('a category is one regardless of case and spaces, shown as first spelled; a filter finds it in any case', async () => {
  const first = `Garden ${randomBytes(3).toString('hex')}`;
  const a = await createProduct({ sku: uniqueSku('CAT'), name: 'Rake', category: first, priceCents: 900 });
  const b = await createProduct({ sku: uniqueSku('CAT'), name: 'Hoe', category: `  ${first.toLowerCase()} `, priceCents: 800 });
  assert.equal(b.category, first, 'the lowercase spelling joins the existing category');
  const moved = await call(products(`/${a.id}`), { method: 'PATCH', token: staffToken, body: { category: first.toUpperCase() } });
  assert.equal(moved.body.category, first);
  const filtered = await call(products(`?${new URLSearchParams({ category: first.toUpperCase() })}`));
  assert.deepEqual(filtered.body.items.map((p: { name: string }) => p.name).sort(), ['Hoe', 'Rake']);
  const categories = await call(`${catalog.url}/api/v1/categories`);
  assert.deepEqual(categories.body.items.filter((c: { name: string }) => c.name.toLowerCase() === first.toLowerCase()), [{ name: first, count: 2 }]);
});

test('the catalog refuses what it cannot keep as given: an unknown currency, an over-long name, a blank category; nothing is stored', async () => {
  const sku = uniqueSku('BAD');
  const cases: [Record<string, unknown>, string, string][] = [
    [{ currency: 'XYZ' }, 'currency', 'format'],
    [{ name: 'n'.repeat(5000) }, 'name', 'maxLength'],
    [{ category: '   ' }, 'category', 'pattern'],
  ];
  for (const [override, field, keyword] of cases) {
    const response = await call(products(), { method: 'POST', token: staffToken, body: { sku, name: 'Valid', category: 'Kitchen', priceCents: 100, ...override } });
    assert.equal(response.status, 400, field);
    assert.deepEqual(
      response.body.errors.map((e: { field: string; keyword: string }) => [e.field, e.keyword]),
      [[field, keyword]],
    );
  }
  const long = await call(products(), { method: 'POST', token: staffToken, body: { sku, name: 'n'.repeat(5000), category: 'Kitchen', priceCents: 100 } });
  assert.deepEqual(long.body.errors[0].params, { limit: 200 }, 'the limit is named for the person');
  assert.equal((await call(products(`?${new URLSearchParams({ q: sku })}`))).body.items.length, 0, 'nothing stored');
  const euro = await call(products(), { method: 'POST', token: staffToken, body: { sku, name: 'Valid', category: 'Kitchen', priceCents: 100, currency: 'CHF' } });
  assert.equal(euro.status, 201, 'an ISO 4217 code is taken');
});

test('bad paging input is 400', async () => {
  const badCursor = await call(products('?cursor=garbage'));
  assert.equal(badCursor.status, 400);
  assert.equal(badCursor.body.type, 'https://meridian.dev/problems/invalid-cursor');
  const badLimit = await call(products('?limit=101'));
  assert.equal(badLimit.status, 400);
  assert.equal(badLimit.body.errors[0].field, 'limit');
});

test('reads are cached, and a PATCH invalidates the cache through the catalog event', async () => {
  const category = `Cache ${randomBytes(3).toString('hex')}`;
  const created = await createProduct({ sku: uniqueSku('CCH'), name: 'Cached Kettle', category, priceCents: 1000 });
  // Let the ProductCreated invalidation pass first, so it cannot be mistaken for the PATCH's below.
  await waitFor(async () => {
    const [row] = await catalog.running.ctx.sql`
      select 1 from processed_messages p join outbox o on o.id = p.message_id
      where o.key = ${created.id} and p.consumer = ${`${ns}.catalog.cache-invalidation`}`;
    return row;
  }, { message: 'ProductCreated consumed' });
  assert.equal((await call(products(`/${created.id}`))).body.name, 'Cached Kettle');
  const listUrl = products(`?${new URLSearchParams({ category })}`);
  assert.equal((await call(listUrl)).body.items.length, 1);

  // A change behind the service's back (no event) stays invisible: reads come from the cache.
  await catalog.running.ctx.sql`update products set name = 'Renamed Quietly' where id = ${created.id}`;
  assert.equal((await call(products(`/${created.id}`))).body.name, 'Cached Kettle');
  assert.equal((await call(listUrl)).body.items[0].name, 'Cached Kettle');

  // A real update publishes ProductUpdated; its consumer drops the entries, so reads catch up.
  const patched = await call(products(`/${created.id}`), { method: 'PATCH', token: staffToken, body: { priceCents: 1500 } });
  assert.equal(patched.status, 200);
  assert.equal(patched.body.priceCents, 1500);
  await waitFor(async () => (await call(products(`/${created.id}`))).body.priceCents === 1500, { timeoutMs: 5000, message: 'product cache invalidated' });
  await waitFor(async () => (await call(listUrl)).body.items[0]?.priceCents === 1500, { timeoutMs: 5000, message: 'list cache invalidated' });
  assert.equal((await call(products(`/${created.id}`))).body.name, 'Renamed Quietly');
});

test('deactivation hides a product from the public; staff still sees it with includeInactive', async () => {
  const category = `Retired ${randomBytes(3).toString('hex')}`;
  const created = await createProduct({ sku: uniqueSku('OLD'), name: 'Retired Radio', category, priceCents: 3000 });
  assert.equal((await call(products(`/${created.id}`))).status, 200);
  const patched = await call(products(`/${created.id}`), { method: 'PATCH', token: staffToken, body: { active: false } });
  assert.equal(patched.body.active, false);

  await waitFor(async () => (await call(products(`/${created.id}`))).status === 404, { timeoutMs: 5000, message: 'inactive product hidden' });
  assert.equal((await call(products(`/${created.id}`), { token: staffToken })).status, 200, 'staff may read it');
  assert.equal((await call(products(`?${new URLSearchParams({ category })}`))).body.items.length, 0);
  const staffList = await call(products(`?${new URLSearchParams({ category, includeInactive: 'true' })}`), { token: staffToken });
  assert.deepEqual(staffList.body.items.map((p: { id: string }) => p.id), [created.id]);
  const customerList = await call(products(`?${new URLSearchParams({ category, includeInactive: 'true' })}`), { token: customerToken });
  assert.equal(customerList.status, 403);
});

test('every change reaches Kafka as a catalog event with the full snapshot', async () => {
  const created = await createProduct({ sku: uniqueSku('EVT'), name: 'Evented Mug', category: 'Kitchen', priceCents: 900 });
  await call(products(`/${created.id}`), { method: 'PATCH', token: staffToken, body: { name: 'Evented Cup', priceCents: 950 } });
  await call(products(`/${created.id}`), { method: 'PATCH', token: staffToken, body: { active: false } });
  const unchanged = await call(products(`/${created.id}`), { method: 'PATCH', token: staffToken, body: { active: false } });
  assert.equal(unchanged.status, 200, 'a no-op patch succeeds without an event');
  const [{ count }] = await catalog.running.ctx.sql`select count(*)::int as count from outbox where key = ${created.id}`;
  assert.equal(count, 4, 'created, two updates, deactivated; nothing for the no-op');

  const ofProduct = (events: any[]) => events.filter((e) => e.key === created.id);
  const events = ofProduct(await readEvents(`${ns}.catalog.products`, (all) => ofProduct(all).length >= 4));
  assert.deepEqual(events.map((e) => e.type), ['ProductCreated', 'ProductUpdated', 'ProductUpdated', 'ProductDeactivated']);
  assert.deepEqual(events[0].data, {
    productId: created.id, sku: created.sku, name: 'Evented Mug', description: '', category: 'Kitchen',
    priceCents: 900, currency: 'EUR', active: true, updatedAt: created.updatedAt,
  });
  assert.equal(events[1].data.name, 'Evented Cup');
  assert.equal(events[1].data.priceCents, 950);
  assert.equal(events[2].data.active, false);
  assert.equal(events[3].data.productId, created.id);
  for (const event of events) {
    assert.equal(event.source, 'catalog');
    assert.equal(event.headers['event-type'], event.type);
    assert.equal(event.headers['event-id'], event.id);
  }
});
