import { randomBytes } from 'node:crypto';
import { Admin, Consumer, type Message } from '@platformatic/kafka';
import postgres from 'postgres';
import { Registry } from 'prom-client';
import { Type } from 'typebox';
import { event, messagingMigrationSql, schemaRegistryOf, topic, type Logger } from '../src/index.ts';
import { kafkaConnection } from '@meridian/config';
import { infra } from '@meridian/testkit';

// From the testkit, which also hands this process the broker admin's login (KAFKA_SASL_*) for the chassis' clients.
export const brokers = infra().kafkaBrokers;
const adminUrl = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

/** Events used only by these tests, on their own `cart.events` topic. */
export const CartTopic = topic({ name: 'cart.events', owner: 'cart', retentionMs: 3_600_000 });
export const ItemAdded = event({
  topic: CartTopic,
  type: 'ItemAdded',
  versions: { 1: Type.Object({ sku: Type.String(), quantity: Type.Integer({ minimum: 1 }), n: Type.Integer() }) },
});
export const Explode = event({ topic: CartTopic, type: 'Explode', versions: { 1: Type.Object({ n: Type.Integer() }) } });
export const testRegistry = schemaRegistryOf([ItemAdded, Explode]);

/** A logger that keeps what it is given, for assertions and debugging. */
export function memoryLogger(): Logger & { lines: { level: string; msg?: string; obj: object }[] } {
  const lines: { level: string; msg?: string; obj: object }[] = [];
  const log = (level: string) => (obj: object, msg?: string) => {
    lines.push({ level, msg, obj });
    if (process.env.TEST_LOG) console.error(level, msg, obj);
  };
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** A fresh database with the messaging tables; `drop()` removes it. */
export async function createTempDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = uniqueName('meridian_test_messaging_');
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const sql = postgres(url.href, { max: 1, onnotice: () => {} });
  await sql.unsafe(messagingMigrationSql);
  await sql.end();
  return {
    url: url.href,
    async drop() {
      const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

export async function waitFor<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sum of a counter's values whose labels match `labels`. */
export async function metricSum(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}

export function newMetricsRegistry(): Registry {
  return new Registry();
}

/** Number of records ever written to `topic` (sum of the partitions' end offsets). */
export async function messageCount(topic: string, partitions = 3): Promise<number> {
  const admin = new Admin({ clientId: 'messaging-test', ...kafkaConnection(brokers) });
  try {
    const [listed] = await admin.listOffsets({
      topics: [{ name: topic, partitions: [...Array(partitions).keys()].map((p) => ({ partitionIndex: p, timestamp: -1n })) }],
    });
    return listed.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
  } finally {
    await admin.close();
  }
}

/** Reads `count` messages of `topic` from the beginning. */
export async function readMessages(topic: string, count: number, timeoutMs = 20_000): Promise<Message[]> {
  const consumer = new Consumer({ clientId: 'messaging-test', groupId: uniqueName('test-reader-'), ...kafkaConnection(brokers), autocommit: false, maxWaitTime: 500 });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
  const messages: Message[] = [];
  try {
    stream.on('data', (m: Message) => messages.push(m));
    await waitFor(() => messages.length >= count, timeoutMs, `${count} messages on ${topic}`);
    return messages;
  } finally {
    await stream.close();
    await consumer.close();
  }
}

export async function deleteTopics(topics: string[]): Promise<void> {
  const admin = new Admin({ clientId: 'messaging-test', ...kafkaConnection(brokers) });
  try {
    await admin.deleteTopics({ topics });
  } finally {
    await admin.close();
  }
}

export function header(message: Message, name: string): string | undefined {
  return message.headerEntries.find(([k]) => k.toString() === name)?.[1].toString();
}
