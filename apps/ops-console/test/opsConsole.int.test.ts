import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Admin, Consumer, Producer, type Message } from '@platformatic/kafka';
import { defineTopic, ensureTopics } from '@meridian/messaging';
import { startService, type RunningService } from '@meridian/service';
import { infra, uniqueName, waitFor } from '@meridian/testkit';
import { startStandIns } from '../../shared/test/standIns.ts';
import { createKafkaInspector } from '../server/kafka.ts';
import type { DeadLetter } from '../types.ts';
import { opsConsoleService } from '../server/service.ts';

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
  const producer = new Producer({ clientId: 'ops-test', bootstrapBrokers: kafkaBrokers });
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
  ops = await startService(opsConsoleService(), { MERIDIAN_NAMESPACE: ns, PORT: '0', LOG_LEVEL: 'warn' });
});

after(async () => {
  await ops?.stop();
  await standIns?.stop();
  const admin = new Admin({ clientId: 'ops-test', bootstrapBrokers: kafkaBrokers });
  try {
    await admin.deleteGroups({ groups: [lagGroup] }).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic, dlq] });
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

  const consumer = new Consumer({ clientId: 'ops-test', groupId: uniqueName('ops_test_reader'), bootstrapBrokers: kafkaBrokers, autocommit: false });
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
  const admin = new Admin({ clientId: 'ops-test', bootstrapBrokers: kafkaBrokers });
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
