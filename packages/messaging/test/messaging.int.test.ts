import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test, type TestContext } from 'node:test';
import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { Admin, ConfigResourceTypes, ProduceAcks, Producer } from '@platformatic/kafka';
import postgres from 'postgres';
import {
  createConsumer,
  createEnvelope,
  createOutbox,
  createOutboxRelay,
  defineTopic,
  type EventHandler,
  ensureTopics,
  outboxStats,
  replayDlqMessage,
} from '../src/index.ts';
import {
  brokers,
  CartTopic,
  createTempDatabase,
  deleteTopics,
  header,
  ItemAdded,
  memoryLogger,
  messageCount,
  metricSum,
  newMetricsRegistry,
  readMessages,
  testRegistry,
  uniqueName,
  waitFor,
} from './helpers.ts';
import { kafkaConnection } from '@meridian/config';

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

const logicalTopic = CartTopic.name;

/** A temp database with an `effects` table, and a namespace whose cart topic (+ DLQ) exists. */
async function setup(t: TestContext) {
  const ns = uniqueName('t');
  const topic = `${ns}.${logicalTopic}`;
  const db = await createTempDatabase();
  const sql = postgres(db.url, { max: 10, onnotice: () => {} });
  await sql`create table effects (seq bigserial primary key, event_id uuid not null, key text not null, n int not null)`;
  await ensureTopics({ brokers, ns, topics: [defineTopic({ name: logicalTopic, retentionMs: 3_600_000 })] });
  const closers: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    for (const close of closers.reverse()) await close();
    await sql.end({ timeout: 5 }); // bounded: a pool whose connections the server cut may never drain
    await db.drop();
    await deleteTopics([topic, `${topic}.dlq`]);
  });
  const outbox = createOutbox({ source: 'cart', ns });
  const recordEffect: EventHandler = async (event, tx) => {
    await tx`insert into effects (event_id, key, n) values (${event.id}, ${event.key}, ${event.data.n})`;
  };
  return {
    ns,
    topic,
    db,
    sql,
    outbox,
    recordEffect,
    /** Registers a cleanup to run (in reverse order) before the database is dropped. */
    onClose(close: () => Promise<unknown>) {
      closers.push(close);
    },
    async addItems(items: { key: string; n: number }[]) {
      await sql.begin(async (tx) => {
        for (const { key, n } of items) {
          await outbox.add(tx, ItemAdded.v1, key, { sku: `sku-${key}`, quantity: 1, n });
        }
      });
    },
    startRelay(metricsRegistry = newMetricsRegistry(), relaySql = sql) {
      const relay = createOutboxRelay({ sql: relaySql, brokers, ns, logger: memoryLogger(), pollIntervalMs: 100, registry: metricsRegistry });
      closers.push(() => relay.stop());
      return relay.start().then(() => relay);
    },
    async startConsumer(handlers: Record<string, EventHandler>, groupId = 'cart.test', metricsRegistry = newMetricsRegistry()) {
      const consumer = createConsumer({
        sql,
        brokers,
        ns,
        groupId,
        topics: [logicalTopic],
        handlers,
        registry: testRegistry,
        logger: memoryLogger(),
        maxAttempts: 3,
        backoffMs: 20,
        metricsRegistry,
        lagIntervalMs: 200,
      });
      closers.push(() => consumer.stop());
      await consumer.start();
      return { consumer, metricsRegistry };
    },
  };
}

async function effectCounts(sql: postgres.Sql) {
  const [row] = await sql`select count(*)::int as total, count(distinct event_id)::int as distinct from effects`;
  return row as { total: number; distinct: number };
}

test('ensureTopics creates the topic and its DLQ with the declared configs, and is idempotent', async (t) => {
  const ns = uniqueName('t');
  const definition = defineTopic({ name: 'orders.events', partitions: 4, retentionMs: 3_600_000, cleanupPolicy: 'compact,delete' });
  const topic = `${ns}.orders.events`;
  t.after(() => deleteTopics([topic, `${topic}.dlq`]));
  assert.deepEqual((await ensureTopics({ brokers, ns, topics: [definition] })).sort(), [topic, `${topic}.dlq`]);
  assert.deepEqual(await ensureTopics({ brokers, ns, topics: [definition] }), []);
  const admin = new Admin({ clientId: 'messaging-test', ...kafkaConnection(brokers) });
  try {
    const metadata = await admin.metadata({ topics: [topic, `${topic}.dlq`] });
    assert.equal(metadata.topics.get(topic)?.partitionsCount, 4);
    assert.equal(metadata.topics.get(`${topic}.dlq`)?.partitionsCount, 4);
    const [described] = await admin.describeConfigs({
      resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: ['retention.ms', 'cleanup.policy'] }],
    });
    const configs = Object.fromEntries(described.configs.map((c) => [c.name, c.value]));
    assert.deepEqual(configs, { 'retention.ms': '3600000', 'cleanup.policy': 'compact,delete' });
  } finally {
    await admin.close();
  }
});

test('a) outbox → relay → consumer end to end, in order per key, carrying the trace', async (t) => {
  const s = await setup(t);
  const received: { key: string; n: number; traceId?: string; source: string; attempt: number }[] = [];
  const { metricsRegistry } = await s.startConsumer({
    ItemAdded: async (event, tx, ctx) => {
      await s.recordEffect(event, tx, ctx);
      received.push({ key: event.key, n: event.data.n, traceId: trace.getSpanContext(context.active())?.traceId, source: event.source, attempt: ctx.attempt });
    },
  });
  const relay = await s.startRelay();
  await waitFor(() => relay.active, 5000, 'relay active');

  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const spanContext = { traceId, spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED };
  const perKey = 20;
  const keys = ['k1', 'k2', 'k3'];
  await context.with(trace.setSpanContext(context.active(), spanContext), async () => {
    // Interleaved small transactions, so events of one key are spread over many relay batches.
    for (let n = 0; n < perKey; n++) await s.addItems(keys.map((key) => ({ key, n })));
  });

  await waitFor(() => received.length >= keys.length * perKey, 20_000, 'all events handled');
  for (const key of keys) {
    assert.deepEqual(
      received.filter((r) => r.key === key).map((r) => r.n),
      [...Array(perKey).keys()],
      `events of ${key} arrive in order`,
    );
  }
  assert.ok(received.every((r) => r.traceId === traceId && r.source === 'cart' && r.attempt === 1));
  const lagOf = async (partition: string) => {
    const { values } = await metricsRegistry.getSingleMetric('kafka_consumer_lag')!.get();
    return values.find((v) => v.labels.topic === s.topic && v.labels.partition === partition)?.value;
  };
  await waitFor(async () => (await Promise.all(['0', '1', '2'].map(lagOf))).every((lag) => lag === 0), 10_000, 'consumer lag 0 on every partition');
  const stats = await outboxStats(s.sql);
  assert.equal(stats.backlog, 0);
  const [row] = await s.sql`select count(*)::int as published from outbox where published_at is not null and attempts = 0`;
  assert.equal(row.published, keys.length * perKey);

  const [message] = await readMessages(s.topic, 1);
  assert.equal(header(message, 'event-type'), 'ItemAdded');
  assert.equal(header(message, 'event-version'), '1');
  assert.match(header(message, 'traceparent') ?? '', new RegExp(`^00-${traceId}-`));
  const envelope = JSON.parse(message.value.toString());
  assert.equal(header(message, 'event-id'), envelope.id);
  assert.equal(message.key.toString(), envelope.key);
});

test('outbox.add rejects data that breaks the contract, so the caller transaction rolls back', async (t) => {
  const s = await setup(t);
  await assert.rejects(
    s.sql.begin(async (tx) => {
      await tx`insert into effects (event_id, key, n) values (gen_random_uuid(), 'x', 1)`;
      await s.outbox.add(tx, ItemAdded.v1, 'x', { sku: 'x', quantity: 0, n: 1 });
    }),
    /ItemAdded v1 data\/quantity: must be >= 1/,
  );
  assert.deepEqual(await effectCounts(s.sql), { total: 0, distinct: 0 });
  assert.equal((await outboxStats(s.sql)).backlog, 0);
});

test("the relay's asynchronous mark stays in its own transaction: later statements on its connection commit durably", async (t) => {
  const s = await setup(t);
  // One connection for the relay's lock, one for its reads and marks: the one checked below.
  const relaySql = postgres(s.db.url, { max: 2, onnotice: () => {} });
  s.onClose(() => relaySql.end({ timeout: 5 }));
  const relay = await s.startRelay(newMetricsRegistry(), relaySql);
  for (let i = 0; i < 5; i++) {
    await s.addItems([{ key: `k${i}`, n: i }]);
    await waitFor(async () => (await outboxStats(s.sql)).backlog === 0, 10_000, `event ${i} published`);
  }
  await relay.stop();
  const [marked] = await s.sql`select count(*)::int as n from outbox where published_at is not null`;
  assert.equal(marked.n, 5, 'every event marked published');
  // The setting is local to the mark's transaction: later statements on that connection commit durably.
  const settings = await Promise.all([relaySql`select current_setting('synchronous_commit') as value`, relaySql`select current_setting('synchronous_commit') as value`]);
  assert.deepEqual(settings.map(([row]) => row.value), ['on', 'on']);
  // What the mark relies on: an unreferenced data-modifying WITH runs its RETURNING, so the setting
  // holds when its transaction commits.
  const afterMark = await relaySql.begin(async (tx) => {
    await tx`
      with marked as (update outbox set attempts = attempts where seq = (select min(seq) from outbox) returning set_config('synchronous_commit', 'off', true))
      select seq from outbox limit 1`;
    const [row] = await tx`select current_setting('synchronous_commit') as value`;
    return row.value;
  });
  assert.equal(afterMark, 'off');
});

test('b) a relay killed mid-batch loses nothing, and the inbox keeps effects exactly-once', async (t) => {
  const s = await setup(t);
  const total = 2000;
  for (let i = 0; i < total; i += 500) {
    await s.addItems([...Array(500).keys()].map((j) => ({ key: `k${(i + j) % 50}`, n: i + j })));
  }
  const child = spawn(process.execPath, [new URL('./fixtures/relay-child.ts', import.meta.url).pathname], {
    env: { ...process.env, DATABASE_URL: s.db.url, KAFKA_BROKERS: brokers.join(','), BATCH_SIZE: '100' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => child.kill('SIGKILL'));
  const published = async () => (await s.sql`select count(*)::int as n from outbox where published_at is not null`)[0].n as number;
  await waitFor(async () => (await published()) >= 300, 20_000, 'the child relay to publish some batches');
  child.kill('SIGKILL');
  await once(child, 'exit');
  const publishedAtCrash = await published();
  assert.ok(publishedAtCrash < total, `the relay was killed mid-run (${publishedAtCrash}/${total} published)`);

  const relay = await s.startRelay();
  await waitFor(async () => (await published()) === total, 30_000, 'the second relay to publish the rest');
  assert.ok(relay.active);
  const inKafka = await messageCount(s.topic);
  assert.ok(inKafka >= total, `Kafka holds every event (${inKafka})`);

  const { metricsRegistry } = await s.startConsumer({ ItemAdded: s.recordEffect });
  // Wait until the consumer has seen every record in Kafka, duplicates included.
  await waitFor(
    async () => (await metricSum(metricsRegistry, 'kafka_messages_consumed_total')) >= inKafka,
    30_000,
    'every Kafka record consumed',
  );
  assert.deepEqual(await effectCounts(s.sql), { total, distinct: total });
  assert.equal(await metricSum(metricsRegistry, 'kafka_messages_consumed_total', { result: 'duplicate' }), inKafka - total);
  const [missing] = await s.sql`select count(*)::int as n from outbox o where not exists (select 1 from effects e where e.event_id = o.id)`;
  assert.equal(missing.n, 0);
});

test('c) a redelivered event has exactly one effect (same message produced twice, offsets rewound)', async (t) => {
  const s = await setup(t);
  const groupId = 'cart.redelivery';
  const first = await s.startConsumer({ ItemAdded: s.recordEffect }, groupId);
  const producer = new Producer({ clientId: 'messaging-test', ...kafkaConnection(brokers), acks: ProduceAcks.ALL });
  t.after(() => producer.close());
  const twice = createEnvelope({ type: 'ItemAdded', version: 1, source: 'test', key: 'k', data: { sku: 'a', quantity: 1, n: 1 } });
  const other = createEnvelope({ type: 'ItemAdded', version: 1, source: 'test', key: 'k', data: { sku: 'a', quantity: 1, n: 2 } });
  const send = (value: object) =>
    producer.send({ messages: [{ topic: s.topic, key: Buffer.from('k'), value: Buffer.from(JSON.stringify(value)) }] });
  await send(twice);
  await send(twice);
  await send(other);
  const consumed = (result: string, registry = first.metricsRegistry) =>
    metricSum(registry, 'kafka_messages_consumed_total', { result });
  await waitFor(async () => (await consumed('processed')) === 2 && (await consumed('duplicate')) === 1, 20_000, 'three messages handled');
  assert.deepEqual(await effectCounts(s.sql), { total: 2, distinct: 2 });

  // As if the offsets had never been committed: rewind the group and consume everything again.
  await first.consumer.stop();
  const admin = new Admin({ clientId: 'messaging-test', ...kafkaConnection(brokers) });
  try {
    await admin.alterConsumerGroupOffsets({
      groupId: `${s.ns}.${groupId}`,
      topics: [{ name: s.topic, partitionOffsets: [0, 1, 2].map((partition) => ({ partition, offset: 0n })) }],
    });
  } finally {
    await admin.close();
  }
  const second = await s.startConsumer({ ItemAdded: s.recordEffect }, groupId);
  await waitFor(async () => (await consumed('duplicate', second.metricsRegistry)) === 3, 20_000, 'redelivered messages skipped');
  assert.equal(await consumed('processed', second.metricsRegistry), 0);
  assert.deepEqual(await effectCounts(s.sql), { total: 2, distinct: 2 });
});

test('stop() lets the in-flight handler finish, commits its offset and leaves the group', async (t) => {
  const s = await setup(t);
  let entered!: () => void;
  const handlerEntered = new Promise<void>((resolve) => (entered = resolve));
  let handlerDone = false;
  const { consumer } = await s.startConsumer({
    ItemAdded: async (event, tx, ctx) => {
      entered();
      await new Promise((r) => setTimeout(r, 300));
      await s.recordEffect(event, tx, ctx);
      handlerDone = true;
    },
  }, 'cart.stopping');
  const producer = new Producer({ clientId: 'messaging-test', ...kafkaConnection(brokers), acks: ProduceAcks.ALL });
  t.after(() => producer.close());
  const envelope = createEnvelope({ type: 'ItemAdded', version: 1, source: 'test', key: 'k', data: { sku: 'a', quantity: 1, n: 1 } });
  const [sent] = (await producer.send({ messages: [{ topic: s.topic, key: Buffer.from('k'), value: Buffer.from(JSON.stringify(envelope)) }] })).offsets!;
  await handlerEntered;
  await consumer.stop();
  assert.equal(handlerDone, true);
  assert.deepEqual(await effectCounts(s.sql), { total: 1, distinct: 1 });
  const admin = new Admin({ clientId: 'messaging-test', ...kafkaConnection(brokers) });
  try {
    const [group] = await admin.listConsumerGroupOffsets({ groups: [`${s.ns}.cart.stopping`] });
    const committed = group.topics.find((topic) => topic.name === s.topic)?.partitions.find((p) => p.partitionIndex === sent.partition);
    assert.equal(committed?.committedOffset, sent.offset + 1n);
    const [described] = (await admin.describeGroups({ groups: [`${s.ns}.cart.stopping`] })).values();
    assert.equal(described.members.size, 0);
  } finally {
    await admin.close();
  }
});

test('offsets of handled messages are committed within a second, the newest per partition, without a stop', async (t) => {
  const s = await setup(t);
  let handled = 0;
  await s.startConsumer({
    ItemAdded: async (event, tx, ctx) => {
      await s.recordEffect(event, tx, ctx);
      handled += 1;
    },
  }, 'cart.committing');
  const producer = new Producer({ clientId: 'messaging-test', ...kafkaConnection(brokers), acks: ProduceAcks.ALL });
  t.after(() => producer.close());
  const sent: { partition: number; offset: bigint }[] = [];
  for (let n = 1; n <= 5; n++) {
    const envelope = createEnvelope({ type: 'ItemAdded', version: 1, source: 'test', key: 'same-key', data: { sku: 'a', quantity: 1, n } });
    sent.push(...(await producer.send({ messages: [{ topic: s.topic, key: Buffer.from('same-key'), value: Buffer.from(JSON.stringify(envelope)) }] })).offsets!);
  }
  const last = sent.at(-1)!;
  const admin = new Admin({ clientId: 'messaging-test', ...kafkaConnection(brokers) });
  t.after(() => admin.close());
  const committedOffset = async () => {
    const [group] = await admin.listConsumerGroupOffsets({ groups: [`${s.ns}.cart.committing`] });
    return group.topics.find((topic) => topic.name === s.topic)?.partitions.find((p) => p.partitionIndex === last.partition)?.committedOffset;
  };
  const deadline = Date.now() + 15_000;
  while (handled < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(handled, 5);
  // The consumer keeps running: the commit comes from the interval, not from stop().
  let committed = await committedOffset();
  while (committed !== last.offset + 1n && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    committed = await committedOffset();
  }
  assert.equal(committed, last.offset + 1n);
});

test('d) poison messages go to the DLQ with a reason while later messages on the partition flow; replay works', async (t) => {
  const s = await setup(t);
  let exploding = true;
  const { metricsRegistry } = await s.startConsumer({
    ItemAdded: s.recordEffect,
    Explode: async (event, tx, ctx) => {
      if (exploding) throw new Error('boom');
      await s.recordEffect({ ...event, key: 'exploded', data: { n: event.data.n } }, tx, ctx);
    },
  });
  const producer = new Producer({ clientId: 'messaging-test', ...kafkaConnection(brokers), acks: ProduceAcks.ALL });
  t.after(() => producer.close());
  const item = (n: number, quantity: unknown = 1) =>
    JSON.stringify(createEnvelope({ type: 'ItemAdded', version: 1, source: 'test', key: 'k', data: { sku: 'a', quantity, n } }));
  const values = [
    item(1),
    item(2, 'three'),
    item(3),
    JSON.stringify(createEnvelope({ type: 'Explode', version: 1, source: 'test', key: 'k', data: { n: 4 } })),
    '{not json',
    JSON.stringify(createEnvelope({ type: 'SomethingNew', version: 1, source: 'test', key: 'k', data: {} })),
    item(7),
  ];
  // All on partition 0, in this order.
  for (const value of values) {
    await producer.send({
      messages: [{ topic: s.topic, partition: 0, key: Buffer.from('k'), value: Buffer.from(value), headers: new Map([[Buffer.from('x-test'), Buffer.from('kept')]]) }],
    });
  }
  await waitFor(async () => (await effectCounts(s.sql)).total === 3, 20_000, 'the good messages handled');
  assert.deepEqual((await s.sql`select n from effects order by seq`).map((r) => r.n), [1, 3, 7]);
  assert.equal(await metricSum(metricsRegistry, 'kafka_messages_consumed_total', { result: 'skipped', type: 'SomethingNew' }), 1);
  assert.equal(await metricSum(metricsRegistry, 'kafka_handler_retries_total', { type: 'Explode' }), 2);

  const deadLetters = await readMessages(`${s.topic}.dlq`, 3);
  const byOffset = new Map(deadLetters.map((m) => [header(m, 'dlq-original-offset'), m]));
  assert.equal(byOffset.size, 3);
  assert.equal(header(byOffset.get('1')!, 'dlq-reason'), 'ItemAdded v1 data/quantity: must be integer');
  assert.equal(header(byOffset.get('3')!, 'dlq-reason'), 'handler failed after 3 attempts: boom');
  assert.match(header(byOffset.get('4')!, 'dlq-reason') ?? '', /^value is not JSON/);
  for (const [offset, m] of byOffset) {
    assert.equal(m.value.toString(), values[Number(offset)], 'the original value is kept');
    assert.equal(m.key.toString(), 'k');
    assert.equal(header(m, 'x-test'), 'kept');
    assert.equal(header(m, 'dlq-original-topic'), s.topic);
    assert.equal(header(m, 'dlq-original-partition'), '0');
    assert.equal(header(m, 'dlq-consumer'), `${s.ns}.cart.test`);
    assert.ok(!Number.isNaN(Date.parse(header(m, 'dlq-failed-at') ?? '')));
  }

  exploding = false;
  const exploded = byOffset.get('3')!;
  const replayed = await replayDlqMessage({ brokers, dlqTopic: `${s.topic}.dlq`, partition: exploded.partition, offset: exploded.offset });
  assert.equal(replayed.topic, s.topic);
  await waitFor(async () => (await s.sql`select n from effects where key = 'exploded'`).length === 1, 20_000, 'the replayed event handled');
});

test('a database outage is waited out: a message whose connection is cut more often than maxAttempts is handled, not dead-lettered', async (t) => {
  const s = await setup(t);
  const admin = postgres(s.db.url, { max: 1, onnotice: () => {} });
  s.onClose(() => admin.end());
  let cuts = 0;
  const { metricsRegistry } = await s.startConsumer({
    ItemAdded: async (event, tx, ctx) => {
      // Another session ends this one mid-transaction, as a PostgreSQL restart or a failover would.
      if (cuts < 5) {
        cuts += 1;
        const [{ pid }] = await tx`select pg_backend_pid() as pid`;
        await admin`select pg_terminate_backend(${pid})`;
      }
      await s.recordEffect(event, tx, ctx);
    },
  });
  await s.startRelay();
  await s.addItems([{ key: 'k', n: 1 }]);
  await waitFor(async () => (await effectCounts(s.sql)).total === 1, 30_000, 'the message handled after the outage');
  assert.equal(cuts, 5, 'five runs met a cut connection (maxAttempts is 3)');
  assert.deepEqual(await effectCounts(s.sql), { total: 1, distinct: 1 });
  assert.equal(await metricSum(metricsRegistry, 'kafka_handler_retries_total', { type: 'ItemAdded' }), 5);
  assert.equal(await metricSum(metricsRegistry, 'kafka_dlq_messages_total'), 0, 'nothing dead-lettered');
});

test('f) consecutive messages of a partition share a transaction; a failing one rolls its batch back and is isolated', async (t) => {
  const s = await setup(t);
  const producer = new Producer({ clientId: 'messaging-test', ...kafkaConnection(brokers), acks: ProduceAcks.ALL });
  t.after(() => producer.close());
  const envelope = (n: number) =>
    n === 20
      ? createEnvelope({ type: 'Explode', version: 1, source: 'test', key: 'k', data: { n } })
      : createEnvelope({ type: 'ItemAdded', version: 1, source: 'test', key: 'k', data: { sku: 'a', quantity: 1, n } });
  // Produced before the consumer starts, so its first fetches return many messages of partition 0 at once.
  const messages = Array.from({ length: 40 }, (_, n) => ({ topic: s.topic, partition: 0, key: Buffer.from('k'), value: Buffer.from(JSON.stringify(envelope(n))) }));
  await producer.send({ messages });

  const transactionOf = new Map<string, string>(); // event id -> transaction of its last (the committed) run
  const { metricsRegistry } = await s.startConsumer({
    ItemAdded: async (event, tx, ctx) => {
      const [{ id }] = await tx`select txid_current()::text as id`;
      transactionOf.set(event.id, id);
      await s.recordEffect(event, tx, ctx);
    },
    Explode: async () => {
      throw new Error('boom');
    },
  });
  await waitFor(async () => (await metricSum(metricsRegistry, 'kafka_dlq_messages_total')) === 1 && (await effectCounts(s.sql)).total === 39, 20_000, 'all handled');
  const expected = Array.from({ length: 40 }, (_, n) => n).filter((n) => n !== 20);
  assert.deepEqual((await s.sql`select n from effects order by seq`).map((r) => r.n), expected, 'each effect once, in partition order');
  assert.deepEqual(await effectCounts(s.sql), { total: 39, distinct: 39 });
  assert.equal(await metricSum(metricsRegistry, 'kafka_messages_consumed_total', { result: 'processed' }), 39);
  assert.equal(await metricSum(metricsRegistry, 'kafka_handler_retries_total', { type: 'Explode' }), 2);
  const [deadLetter] = await readMessages(`${s.topic}.dlq`, 1);
  assert.equal(header(deadLetter, 'dlq-reason'), 'handler failed after 3 attempts: boom');
  assert.equal(header(deadLetter, 'dlq-original-offset'), '20');
  const transactions = new Set(transactionOf.values());
  assert.ok(transactions.size < 39 / 2, `39 events in ${transactions.size} transactions: batched`);
});

test('e) two relays on one database: one publishes, the other takes over when it stops', async (t) => {
  const s = await setup(t);
  const otherSql = postgres(s.db.url, { max: 4, onnotice: () => {} });
  s.onClose(() => otherSql.end());
  const metricsA = newMetricsRegistry();
  const metricsB = newMetricsRegistry();
  const relayA = await s.startRelay(metricsA);
  await waitFor(() => relayA.active, 5000, 'relay A active');
  const relayB = await s.startRelay(metricsB, otherSql);

  await s.addItems([...Array(50).keys()].map((n) => ({ key: `k${n % 5}`, n })));
  await waitFor(async () => (await outboxStats(s.sql)).backlog === 0, 20_000, 'first events published');
  assert.equal(relayA.active, true);
  assert.equal(relayB.active, false);
  assert.equal(await metricSum(metricsA, 'outbox_published_total'), 50);
  assert.equal(await metricSum(metricsB, 'outbox_published_total'), 0);

  await relayA.stop();
  await waitFor(() => relayB.active, 5000, 'relay B takes over');
  await s.addItems([...Array(50).keys()].map((n) => ({ key: `k${n % 5}`, n: 50 + n })));
  await waitFor(async () => (await outboxStats(s.sql)).backlog === 0, 20_000, 'later events published');
  assert.equal(await metricSum(metricsA, 'outbox_published_total'), 50);
  assert.equal(await metricSum(metricsB, 'outbox_published_total'), 50);
  assert.equal(await messageCount(s.topic), 100, 'nothing was published twice');
  assert.equal(await metricSum(metricsB, 'outbox_backlog'), 0);
});
