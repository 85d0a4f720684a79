// Bad input on the real topics of the running platform: malformed JSON, empty values, non-envelopes,
// wrong-typed data, unknown versions and oversized messages are each dead-lettered with a reason by
// every consumer group of the topic, and the saga keeps flowing on every partition afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Consumer, type Message, ProduceAcks, Producer } from '@platformatic/kafka';
import { infra } from '@meridian/testkit';
import { gateway, ns, registerCustomer, send, staffLogin, waitFor } from './support.ts';
import { kafkaConnection } from '@meridian/config';

const brokers = infra().kafkaBrokers;
const partitions = [0, 1, 2];
const runId = randomUUID().slice(0, 8);

/** Consumer groups of each topic, an event type handled there, and (some of) the groups that handle it. */
const topicsUnderTest = {
  'orders.events': { groups: ['inventory.orders', 'notifications.orders', 'payments.saga'], handled: 'OrderPlaced', handledBy: ['inventory.orders', 'payments.saga'] },
  'inventory.stock': { groups: ['orders.saga', 'payments.saga'], handled: 'StockReserved', handledBy: ['orders.saga', 'payments.saga'] },
  'payments.events': { groups: ['orders.saga'], handled: 'PaymentAuthorized', handledBy: ['orders.saga'] },
} as const;
type LogicalTopic = keyof typeof topicsUnderTest;

const envelope = (type: string, version: number, data: unknown) =>
  JSON.stringify({ id: randomUUID(), type, version, source: 'security-test', time: new Date().toISOString(), key: randomUUID(), data });

interface BadMessage {
  kind: string;
  value: (topic: LogicalTopic) => Buffer;
  reason: RegExp;
  /** Only the groups that handle the event type check its data and version. */
  handledOnly?: boolean;
}

const badMessages: BadMessage[] = [
  { kind: 'malformed-json', value: () => Buffer.from('{"id": "not closed'), reason: /^value is not JSON/ },
  { kind: 'empty', value: () => Buffer.alloc(0), reason: /^empty message value$/ },
  { kind: 'not-an-object', value: () => Buffer.from('[1,2,3]'), reason: /^envelope: expected object$/ },
  { kind: 'bad-envelope', value: () => Buffer.from(JSON.stringify({ type: 42, version: 'one', data: null })), reason: /^envelope id: expected uuid; type: expected non-empty string/ },
  { kind: 'binary', value: () => Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]), reason: /^value is not JSON/ },
  {
    kind: 'oversized',
    value: (topic) => Buffer.from(envelope(topicsUnderTest[topic].handled, 1, { padding: 'x'.repeat(300 * 1024) })),
    reason: /^message too large: \d+ bytes \(limit \d+\)$/,
  },
  {
    kind: 'wrong-typed-data',
    value: (topic) => Buffer.from(envelope(topicsUnderTest[topic].handled, 1, { orderId: 42, lines: 'many', amountCents: -1, extra: '\u0000' })),
    reason: /^(OrderPlaced|StockReserved|PaymentAuthorized) v1 data/,
    handledOnly: true,
  },
  {
    kind: 'unknown-version',
    value: (topic) => Buffer.from(envelope(topicsUnderTest[topic].handled, 99, {})),
    reason: /^(OrderPlaced|StockReserved|PaymentAuthorized) v99 no schema for \w+ v99$/,
    handledOnly: true,
  },
];

const physical = (topic: string) => `${ns}.${topic}`;
const keyOf = (topic: string, kind: string, partition: number) => `sec-bad-${runId}-${topic}-${kind}-p${partition}`;
const header = (message: Message, name: string) => message.headerEntries.find(([k]) => k.toString() === name)?.[1].toString();

let producer: Producer;
const readers: { consumer: Consumer; close(): Promise<void> }[] = [];
const deadLetters = new Map<string, Message[]>(); // by key

/** Collects every dead letter of this run (keys `sec-bad-<runId>-…`) from the topic's DLQ. */
async function watchDlq(topic: string): Promise<void> {
  const consumer = new Consumer({ clientId: 'security-test', groupId: `${ns}.security-test.${randomUUID()}`, ...kafkaConnection(brokers), autocommit: false, maxWaitTime: 500 });
  const stream = await consumer.consume({ topics: [`${physical(topic)}.dlq`], mode: 'earliest' });
  stream.on('data', (message: Message) => {
    const key = message.key?.toString() ?? '';
    if (key.startsWith(`sec-bad-${runId}-`)) deadLetters.set(key, [...(deadLetters.get(key) ?? []), message]);
  });
  readers.push({ consumer, close: async () => { await stream.close(); await consumer.close(); } });
}

before(async () => {
  producer = new Producer({ clientId: 'security-test', ...kafkaConnection(brokers), acks: ProduceAcks.ALL });
  await Promise.all(Object.keys(topicsUnderTest).map(watchDlq));
});

after(async () => {
  await Promise.all(readers.map((r) => r.close()));
  await producer.close();
});

test('bad messages on every partition of each topic are dead-lettered with their reason by every consumer that reads them', async () => {
  const produced = new Map<string, Buffer>();
  for (const topic of Object.keys(topicsUnderTest) as LogicalTopic[]) {
    const messages = badMessages.flatMap(({ kind, value }) => partitions.map((partition) => {
      const key = keyOf(topic, kind, partition);
      produced.set(key, value(topic));
      return { topic: physical(topic), partition, key: Buffer.from(key), value: produced.get(key)! };
    }));
    await producer.send({ messages });
  }

  for (const topic of Object.keys(topicsUnderTest) as LogicalTopic[]) {
    const { groups, handledBy } = topicsUnderTest[topic];
    for (const { kind, reason, handledOnly } of badMessages) {
      const expectedGroups = (handledOnly ? handledBy : groups).map((g) => `${ns}.${g}`).sort();
      const allGroups = groups.map((g) => `${ns}.${g}`);
      for (const partition of partitions) {
        const key = keyOf(topic, kind, partition);
        const letters = await waitFor(() => {
          const found = deadLetters.get(key) ?? [];
          const from = new Set(found.map((m) => header(m, 'dlq-consumer')));
          return expectedGroups.every((g) => from.has(g)) ? found : undefined;
        }, { timeoutMs: 60_000, intervalMs: 200, message: `dead letters of ${key} from ${expectedGroups.join(', ')}` });
        for (const letter of letters) assert.ok(allGroups.includes(header(letter, 'dlq-consumer')!), `${key}: dead-lettered by a reader of ${topic}`);
        for (const letter of letters) {
          assert.match(header(letter, 'dlq-reason') ?? '', reason, `${key} reason`);
          assert.equal(header(letter, 'dlq-original-topic'), physical(topic));
          assert.equal(header(letter, 'dlq-original-partition'), String(partition));
          assert.match(header(letter, 'dlq-original-offset') ?? '', /^\d+$/);
          assert.ok(!Number.isNaN(Date.parse(header(letter, 'dlq-failed-at') ?? '')), 'dlq-failed-at is a time');
          assert.ok(Buffer.from(letter.value ?? []).equals(produced.get(key)!), `${key}: the original value is kept`);
        }
      }
    }
  }
});

test('after the bad messages, orders still complete: nothing else is lost on any partition', async () => {
  const staff = await staffLogin();
  const customer = await registerCustomer();
  const product = await send(gateway, 'POST', '/api/v2/products', {
    token: staff,
    json: { sku: `SEC-K-${runId}`, name: `Kafka lamp ${runId}`, category: 'Security', price: { amount: 700, currency: 'EUR' } },
  });
  assert.equal(product.status, 201, product.text);
  assert.equal((await send(gateway, 'PUT', `/api/v1/inventory/${product.body.id}`, { token: staff, json: { available: 100 } })).status, 200);

  // Several orders, so their keys spread over the partitions that were fed bad messages.
  const orderIds: string[] = [];
  for (let i = 0; i < 6; i++) {
    const placed = await waitFor(async () => {
      const reply = await send(gateway, 'POST', '/api/v1/orders', {
        token: customer.token,
        headers: { 'idempotency-key': randomUUID() },
        json: { items: [{ productId: product.body.id, quantity: 1 }], paymentToken: 'tok_visa' },
      });
      return reply.status === 202 ? reply : undefined;
    }, { timeoutMs: 20_000, intervalMs: 250, message: 'the order to be accepted' });
    orderIds.push(placed.body.id);
  }
  for (const id of orderIds) {
    const order = await waitFor(async () => {
      const reply = await send(gateway, 'GET', `/api/v1/orders/${id}`, { token: customer.token });
      return reply.body?.status === 'PENDING' ? undefined : reply.body;
    }, { timeoutMs: 60_000, intervalMs: 250, message: `order ${id} to complete` });
    assert.equal(order.status, 'CONFIRMED', JSON.stringify(order));
  }
  const stock = await send(gateway, 'GET', `/api/v1/inventory/${product.body.id}`);
  await waitFor(async () => {
    const level = (await send(gateway, 'GET', `/api/v1/inventory/${product.body.id}`)).body;
    return level.available === 94 && level.reserved === 0;
  }, { timeoutMs: 30_000, message: `stock committed (was ${JSON.stringify(stock.body)})` });
});
