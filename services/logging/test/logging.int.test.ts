/**
 * Real Kafka + PostgreSQL: lines shipped by two loggers are indexed and searchable through the API;
 * a logger whose logs cannot be shipped is never slowed down; redelivered lines are stored once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { createKafkaLogShipper, createLogger } from '@meridian/log';
import { startService, type RunningService } from '@meridian/service';
import { withSpan } from '@meridian/telemetry';
import { createTempDatabase, infra, uniqueName, waitFor, type TempDatabase, serviceEnv } from '@meridian/testkit';
import { deleteOlderThan, insertEntries } from '../src/db/entries.ts';
import { createLogIndexer } from '../src/events/indexer.ts';
import { loggingService } from '../src/service.ts';
import { deleteNamespaceTopics, discard, startTokenAuthority } from './support.ts';

const ns = uniqueName('logging');
let db: TempDatabase;
let service: RunningService<any>;
let authority: Awaited<ReturnType<typeof startTokenAuthority>>;
const tokens = { staff: '', customer: '' };

before(async () => {
  db = await createTempDatabase('logging_svc');
  authority = await startTokenAuthority(ns);
  tokens.staff = await authority.issuer.issue({ sub: randomUUID(), email: 'ops@example.com', role: 'staff' });
  tokens.customer = await authority.issuer.issue({ sub: randomUUID(), email: 'c@example.com', role: 'customer' });
  service = await startService(loggingService(), serviceEnv({ databaseUrl: db.url, ns }, { LOG_LEVEL: process.env.TEST_LOG ? 'debug' : 'silent' }));
});

after(async () => {
  await service?.stop();
  await authority?.stop();
  await db?.drop();
  await deleteNamespaceTopics(ns);
});

interface Item {
  id: string;
  time: string;
  service: string;
  level: string;
  msg: string;
  traceId: string | null;
  reqId: string | null;
  data: Record<string, unknown>;
}

async function search(query: string, token = tokens.staff): Promise<{ status: number; body: { items: Item[]; nextCursor: string | null } }> {
  const res = await fetch(`${service.url}/api/v1/ops/logs?${query}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}

async function items(query: string): Promise<Item[]> {
  const { status, body } = await search(query);
  assert.equal(status, 200, JSON.stringify(body));
  return body.items;
}

function shippingLogger(name: string, brokers = infra().kafkaBrokers, registry = new Registry()) {
  const shipper = createKafkaLogShipper({ brokers, ns, service: name, registry });
  const logger = createLogger({ service: name, version: 'test', instance: `${name}-1`, level: 'debug', destination: discard(), shipper });
  return { shipper, logger };
}

test('lines shipped by two services are searchable by trace id, service, level, text and time', async () => {
  const run = randomUUID().slice(0, 8);
  const orders = shippingLogger('orders');
  const payments = shippingLogger('payments');
  const started = new Date();
  const traceId = await withSpan('place order', {}, async (span) => {
    orders.logger.info({ orderId: run }, `order placed ${run}`);
    payments.logger.warn({ orderId: run, reason: 'card_declined' }, `payment declined ${run}`);
    return span.spanContext().traceId;
  });
  orders.logger.debug(`cache miss ${run}`);
  payments.logger.error(`provider exploded ${run}`);
  await Promise.all([orders.shipper.close(), payments.shipper.close()]);
  assert.equal(orders.shipper.stats().sent + payments.shipper.stats().sent, 4);

  const traced = await waitFor(async () => {
    const found = await items(`traceId=${traceId}&order=asc`);
    return found.length === 2 ? found : undefined;
  }, { timeoutMs: 20_000, message: 'the traced lines to be indexed' });
  // Both lines may share a millisecond: compare them in service order.
  traced.sort((a, b) => a.service.localeCompare(b.service));
  assert.deepEqual(traced.map((i) => [i.service, i.level, i.msg]), [
    ['orders', 'info', `order placed ${run}`],
    ['payments', 'warn', `payment declined ${run}`],
  ]);
  assert.equal(traced[0].data.orderId, run);
  assert.equal(traced[0].data.version, 'test');

  await waitFor(async () => (await items(`q=${run}`)).length === 4, { timeoutMs: 20_000, message: 'all four lines indexed' });
  assert.deepEqual((await items(`q=${run}&service=payments`)).map((i) => i.msg), [`provider exploded ${run}`, `payment declined ${run}`]);
  assert.deepEqual((await items(`q=${run}&level=warn`)).map((i) => i.level).sort(), ['error', 'warn']);
  assert.deepEqual((await items(`q=exploded%20${run}`)).map((i) => i.service), ['payments']);
  // Words in data fields are found too ("card" is only in reason=card_declined), and _ separates words.
  assert.deepEqual((await items(`q=card%20${run}`)).map((i) => i.msg), [`payment declined ${run}`]);
  assert.deepEqual((await items(`q=card_declined%20${run}`)).map((i) => i.msg), [`payment declined ${run}`]);
  assert.equal((await items(`q=${run}&since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).length, 0);
  assert.equal((await items(`q=${run}&since=${encodeURIComponent(started.toISOString())}&until=${encodeURIComponent(new Date().toISOString())}`)).length, 4);

  // Keyset pages, newest first, cover every line once.
  const seen: Item[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: Item[]; nextCursor: string | null } = (await search(`q=${run}&limit=3${cursor ? `&cursor=${cursor}` : ''}`)).body;
    seen.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  assert.equal(seen.length, 4);
  assert.equal(new Set(seen.map((i) => i.msg)).size, 4);
  // Lines of two services may share a millisecond, so only the time order is certain.
  const times = seen.map((i) => Date.parse(i.time));
  assert.deepEqual(times, [...times].sort((a, b) => b - a));
});

test('the search is for staff only and its parameters are validated', async () => {
  assert.equal((await fetch(`${service.url}/api/v1/ops/logs`)).status, 401);
  assert.equal((await search('', tokens.customer)).status, 403);
  const bad = await search('traceId=nope&level=loud');
  assert.equal(bad.status, 400);
  assert.equal((await search('cursor=garbage')).status, 400);
});

test('while lines cannot be shipped (no topic, or Kafka unreachable) logging never blocks: 100k lines are dropped and counted', async () => {
  const loop = (logger: ReturnType<typeof createLogger>) => {
    const startedAt = performance.now();
    for (let i = 0; i < 100_000; i++) logger.info({ i }, 'busy');
    return performance.now() - startedAt;
  };
  // The same loop without shipping, measured now, as the yardstick (the machine may be busy).
  const baselineMs = loop(createLogger({ service: 'orders', version: 'test', instance: 'i-1', destination: discard() }));
  for (const [what, brokers, topicNs] of [
    ['logging service never started', infra().kafkaBrokers, uniqueName('nologging')],
    ['Kafka unreachable', ['127.0.0.1:1'], ns],
  ] as const) {
    const registry = new Registry();
    const shipper = createKafkaLogShipper({ brokers: [...brokers], ns: topicNs, service: 'orders', registry });
    const logger = createLogger({ service: 'orders', version: 'test', instance: 'i-1', destination: discard(), shipper });
    let elapsedMs: number;
    try {
      elapsedMs = loop(logger);
    } finally {
      await shipper.close(1000);
    }
    assert.ok(elapsedMs < 3 * baselineMs + 2000, `${what}: 100k log calls took ${Math.round(elapsedMs)} ms, ${Math.round(baselineMs)} ms without shipping`);
    const { sent, dropped, buffered } = shipper.stats();
    assert.equal(sent, 0, what);
    assert.equal(buffered, 0, what);
    assert.equal(dropped, 100_000, what);
    const metric = await registry.getSingleMetric('log_shipping_dropped_total')!.get();
    assert.equal(metric.values.reduce((sum, v) => sum + v.value, 0), 100_000, what);
  }
});

test('a redelivered batch does not duplicate rows', async () => {
  const run = randomUUID().slice(0, 8);
  const { shipper, logger } = shippingLogger('inventory');
  for (let i = 0; i < 5; i++) logger.info(`redelivery ${run} ${i}`);
  await shipper.close();
  await waitFor(async () => (await items(`q=${run}`)).length === 5, { timeoutMs: 20_000, message: 'the five lines indexed' });

  // A second indexer with its own group reads the whole topic again into the same table.
  const registry = new Registry();
  const rereader = createLogIndexer({
    sql: service.ctx.sql,
    brokers: infra().kafkaBrokers,
    ns,
    logger: service.ctx.logger,
    groupId: `logging.${uniqueName('reread')}`,
    registry,
  });
  await rereader.start();
  try {
    const [{ count: total }] = await service.ctx.sql`select count(*)::int as count from log_entries`;
    const counter = async (name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;
    await waitFor(async () => (await counter('log_lines_read_total')) >= total, { timeoutMs: 20_000, message: 'the topic read again' });
    assert.equal(await counter('log_entries_indexed_total'), 0);
    const [{ count: after }] = await service.ctx.sql`select count(*)::int as count from log_entries`;
    assert.equal(after, total);
    assert.equal((await items(`q=${run}`)).length, 5);
  } finally {
    await rereader.stop();
  }
});

test('retention deletes entries older than the retention period only', async () => {
  const sql = service.ctx.sql;
  const run = randomUUID().slice(0, 8);
  const entry = (daysAgo: number, msg: string) => ({
    entry: {
      time: new Date(Date.now() - daysAgo * 24 * 3600 * 1000),
      service: 'retention-test',
      level: 'info',
      instance: null,
      msg,
      traceId: null,
      spanId: null,
      reqId: null,
      data: {},
    },
    partition: 99,
    offset: BigInt(Math.floor(Math.random() * 1e12)),
    timestamp: new Date(),
  });
  assert.equal(await insertEntries(sql, [entry(4, `old ${run}`), entry(2, `recent ${run}`)]), 2);
  assert.ok((await deleteOlderThan(sql, 3)) >= 1);
  assert.deepEqual((await items(`q=${run}`)).map((i) => i.msg), [`recent ${run}`]);
});

test('a line at a position indexed before (the topic was deleted and created again) is stored; a redelivery is not', async () => {
  const sql = service.ctx.sql;
  const run = randomUUID().slice(0, 8);
  const offset = BigInt(Math.floor(Math.random() * 1e12));
  const line = (msg: string, timestamp: Date) => ({
    entry: { time: timestamp, service: 'recreated-topic', level: 'info', instance: null, msg, traceId: null, spanId: null, reqId: null, data: {} },
    partition: 98,
    offset,
    timestamp,
  });
  const first = line(`first incarnation ${run}`, new Date(Date.now() - 60_000));
  assert.equal(await insertEntries(sql, [first]), 1);
  assert.equal(await insertEntries(sql, [first]), 0, 'the same record again is a redelivery');
  assert.equal(await insertEntries(sql, [line(`second incarnation ${run}`, new Date())]), 1, 'a new record at the same position');
  assert.deepEqual((await items(`q=${run}&order=asc`)).map((i) => i.msg), [`first incarnation ${run}`, `second incarnation ${run}`]);
});
