import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Admin, Consumer, Producer, type Message } from '@platformatic/kafka';
import { defineTopic, ensureTopics } from '@meridian/messaging';
import { startService, type RunningService } from '@meridian/service';
import { infra, uniqueName, waitFor } from '@meridian/testkit';
import { startStandIns } from '../../shared/test/standIns.ts';
import { createKafkaInspector } from '../server/kafka.ts';
import { register } from '@meridian/discovery';
import { readEventStream } from '../../shared/test/eventStream.ts';
import type { DeadLetter, MapTopicNode, ServiceMap } from '../types.ts';
import { opsConsoleService } from '../server/service.ts';
import { kafkaConnection } from '@meridian/config';

const ns = uniqueName('ops');
const { kafkaBrokers, etcdEndpoints } = infra();
const topic = `${ns}.orders.events`;
const dlq = `${topic}.dlq`;
const lagGroup = `${ns}.test.lagging`;
const inspector = createKafkaInspector({ brokers: kafkaBrokers, ns });
const key = randomUUID();
const value = JSON.stringify({ id: randomUUID(), type: 'OrderConfirmed', version: 1, key, data: { orderId: 'broken' } });
let standIns: Awaited<ReturnType<typeof startStandIns>>;
let ops: RunningService;

const bytes = (text: string) => Buffer.from(text);

before(async () => {
  await ensureTopics({ brokers: kafkaBrokers, ns, topics: [defineTopic({ name: 'orders.events' })] });
  const producer = new Producer({ clientId: 'ops-test', ...kafkaConnection(kafkaBrokers) });
  try {
    await producer.send({
      messages: [
        {
          topic: dlq,
          key: bytes(key),
          value: bytes(value),
          partition: 1,
          headers: new Map([
            [bytes('event-type'), bytes('OrderConfirmed')],
            [bytes('dlq-reason'), bytes('OrderConfirmed v1 data: data/orderId must match format "uuid"')],
            [bytes('dlq-original-topic'), bytes(topic)],
            [bytes('dlq-original-partition'), bytes('1')],
            [bytes('dlq-original-offset'), bytes('0')],
            [bytes('dlq-consumer'), bytes(`${ns}.notifications.orders`)],
            [bytes('dlq-failed-at'), bytes(new Date().toISOString())],
          ]),
        },
      ],
    });
  } finally {
    await producer.close();
  }
  standIns = await startStandIns({ ns, etcdEndpoints });
  // It ships its log lines, as every service of a platform does (the live tail can show them).
  ops = await startService(opsConsoleService(), { MERIDIAN_NAMESPACE: ns, PORT: '0', LOG_LEVEL: 'warn', LOG_SHIPPING: 'kafka' });
});

after(async () => {
  await ops?.stop();
  await standIns?.stop();
  const admin = new Admin({ clientId: 'ops-test', ...kafkaConnection(kafkaBrokers) });
  try {
    await admin.deleteGroups({ groups: [lagGroup] }).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic, dlq, `${ns}.platform.logs`] });
  } finally {
    await admin.close();
  }
});

test('dead letters are read with their reason, origin and consumer', async () => {
  const letters = await inspector.deadLetters();
  assert.equal(letters.length, 1);
  assert.partialDeepStrictEqual(letters[0], {
    topic: dlq,
    partition: 1,
    offset: '0',
    key,
    reason: 'OrderConfirmed v1 data: data/orderId must match format "uuid"',
    originalTopic: topic,
    consumer: `${ns}.notifications.orders`,
    eventType: 'OrderConfirmed',
    value: JSON.parse(value),
  });
});

test('replay republishes the dead letter to its original topic without the dlq headers', async () => {
  const written = await inspector.replay(dlq, 1, '0');
  assert.equal(written.topic, topic);

  const consumer = new Consumer({ clientId: 'ops-test', groupId: uniqueName('ops_test_reader'), ...kafkaConnection(kafkaBrokers), autocommit: false });
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
    const copy = await new Promise<Message>((resolve) => stream.on('data', (m: Message) => m.offset.toString() === written.offset && m.partition === written.partition && resolve(m)));
    await stream.close();
    assert.equal(copy.key.toString(), key);
    assert.equal(copy.value.toString(), value);
    const headerNames = copy.headerEntries.map(([name]) => name.toString());
    assert.deepEqual(headerNames, ['event-type']);
  } finally {
    await consumer.close(true);
  }
  await assert.rejects(inspector.replay(topic, 0, '0'), RangeError, 'only dead-letter topics can be replayed');
});

test('the overview lists the namespace topics and each group\'s lag from its committed offsets', async () => {
  const admin = new Admin({ clientId: 'ops-test', ...kafkaConnection(kafkaBrokers) });
  try {
    await admin.alterConsumerGroupOffsets({ groupId: lagGroup, topics: [{ name: topic, partitionOffsets: [0, 1, 2].map((partition) => ({ partition, offset: 0n })) }] });
  } finally {
    await admin.close();
  }
  const { topics, groups } = await waitFor(async () => {
    const overview = await inspector.overview();
    return overview.groups.some((g) => g.groupId === lagGroup) ? overview : undefined;
  });
  // (The services started here also ship their logs, so the namespace has its platform.logs topics too.)
  assert.deepEqual(
    topics.filter((t) => !t.name.includes('.platform.logs')).map((t) => [t.name, t.partitions, t.messages, t.deadLetter]),
    [
      [topic, 3, 1, false],
      [dlq, 3, 1, true],
    ],
  );
  // The one message on the topic is the replayed copy; the group committed offset 0 everywhere.
  const lagging = groups.find((g) => g.groupId === lagGroup)!;
  assert.equal(lagging.totalLag, 1);
  assert.deepEqual(
    lagging.topics[0].partitions.map((p) => p.lag).sort(),
    [0, 0, 1],
  );
});

test('the HTTP API is for staff only and serves discovery and dead letters', async () => {
  const staff = await standIns.issuer.issue({ sub: randomUUID(), email: 'ops@example.com', role: 'staff' });
  const customer = await standIns.issuer.issue({ sub: randomUUID(), email: 'c@example.com', role: 'customer' });
  const get = (path: string, token?: string) => fetch(new URL(path, ops.url), { headers: token ? { authorization: `Bearer ${token}` } : {} });

  assert.equal((await get('/ops-api/services')).status, 401);
  assert.equal((await get('/ops-api/services', customer)).status, 403);
  const services = (await (await get('/ops-api/services', staff)).json()) as { namespace: string; services: { service: string }[] };
  assert.equal(services.namespace, ns);
  assert.deepEqual(services.services.map((s) => s.service), ['gateway', 'identity', 'ops-console']);

  const letters = (await (await get('/ops-api/dead-letters', staff)).json()) as { items: (DeadLetter & { replayed?: unknown })[] };
  assert.equal(letters.items.length, 1);
  const replay = await fetch(new URL('/ops-api/dead-letters/replay', ops.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${staff}`, 'content-type': 'application/json' },
    body: JSON.stringify({ topic: dlq, partition: 1, offset: '0' }),
  });
  assert.equal(replay.status, 200);
  const after = (await (await get('/ops-api/dead-letters', staff)).json()) as { items: { replayed?: { topic: string } }[] };
  assert.equal(after.items[0].replayed?.topic, topic, 'the list remembers the replay');
});

/** Reads the server-sent events of `path` until `stop()`. */
async function follow(path: string, token: string) {
  const controller = new AbortController();
  const response = await fetch(new URL(path, ops.url), { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: controller.signal });
  assert.equal(response.status, 200);
  const { events, done: reading } = readEventStream<{ event: string; data: { topic: string; key: string; value: unknown } }>(response);
  return {
    events,
    async stop() {
      controller.abort();
      await reading;
    },
  };
}

test('the live tail streams business events, and platform log lines only to a viewer who asked for them', async () => {
  const staff = await standIns.issuer.issue({ sub: randomUUID(), email: 'ops@example.com', role: 'staff' });
  const plain = await follow('/ops-api/tail', staff);
  const withLogs = await follow('/ops-api/tail?logs=true', staff);
  const marker = randomUUID();
  const producer = new Producer({ clientId: 'ops-test', ...kafkaConnection(kafkaBrokers) });
  try {
    // The feeds join in the background: publish until both kinds came through.
    await waitFor(
      async () => {
        await producer.send({
          messages: [
            { topic: `${ns}.platform.logs`, key: bytes('test'), value: bytes(JSON.stringify({ level: 'info', service: 'test', msg: `line ${marker}` })) },
            { topic, key: bytes(marker), value: bytes(JSON.stringify({ id: randomUUID(), type: 'OrderConfirmed', version: 1, key: marker, data: {} })) },
          ],
        });
        const hasEvent = (list: typeof plain.events) => list.some((e) => e.event === 'event' && e.data.key === marker);
        const hasLog = withLogs.events.some((e) => e.event === 'log' && JSON.stringify(e.data.value).includes(marker));
        return hasEvent(plain.events) && hasEvent(withLogs.events) && hasLog;
      },
      { timeoutMs: 30_000, intervalMs: 1000, message: 'a business event on both streams and a log line on the one that asked' },
    );
    assert.deepEqual(
      plain.events.filter((e) => e.event !== 'event' || e.data.topic.endsWith('.platform.logs')),
      [],
      'a viewer who did not ask sees no log line',
    );
    const keys = plain.events.map((e) => `${e.data.topic}/${(e.data as { partition?: number }).partition}/${(e.data as { offset?: string }).offset}`);
    assert.equal(new Set(keys).size, keys.length, 'each event once');
  } finally {
    await producer.close();
    await Promise.all([plain.stop(), withLogs.stop()]);
  }
});

test('the service map joins topic owners, the consumer groups instances announce, and their lag', async () => {
  const staff = await standIns.issuer.issue({ sub: randomUUID(), email: 'ops@example.com', role: 'staff' });
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const reader = await register({
    endpoints: etcdEndpoints,
    ns,
    logger: quiet,
    instance: {
      service: 'auditor',
      version: '0.1.0',
      instanceId: randomUUID(),
      url: 'http://127.0.0.1:9/',
      apiVersions: ['v1'],
      health: 'ready',
      startedAt: new Date().toISOString(),
      messaging: { produces: [], consumes: [{ group: lagGroup, topics: ['orders.events'] }] },
    },
  });
  try {
    const read = async () => {
      const response = await fetch(new URL('/ops-api/service-map', ops.url), { headers: { authorization: `Bearer ${staff}` } });
      assert.equal(response.status, 200);
      return (await response.json()) as ServiceMap;
    };
    const map = await waitFor(async () => {
      const current = await read();
      return current.nodes.some((n) => n.id === `group:${lagGroup}`) ? current : undefined;
    });
    const edge = (from: string, to: string) => map.edges.find((e) => e.from === from && e.to === to);
    assert.ok(edge('service:orders', 'topic:orders.events'), "orders.events' declared owner writes it (shown though not running here)");
    assert.ok(edge('service:ops-console', 'topic:platform.logs'), 'the console ships its log lines, as its discovery record says');
    const groupLag = (await inspector.overview()).groups.find((g) => g.groupId === lagGroup)!.totalLag;
    assert.ok(groupLag >= 1);
    assert.equal(edge('topic:orders.events', `group:${lagGroup}`)?.lag, groupLag, "the edge carries the group's lag");
    assert.ok(edge(`group:${lagGroup}`, 'service:auditor'), 'the group feeds the service that announced it');
    const orders = map.nodes.find((n) => n.id === 'topic:orders.events') as MapTopicNode;
    assert.equal(orders.deadLetters, 1);

    await new Promise((resolve) => setTimeout(resolve, 2100));
    const later = await read();
    assert.ok(later.rateWindowSeconds !== null && later.rateWindowSeconds >= 2, 'a second look rates against the first');
    assert.equal((later.nodes.find((n) => n.id === 'topic:orders.events') as MapTopicNode).perSecond, 0, 'nothing written in between');
  } finally {
    await reader.deregister();
  }
});
