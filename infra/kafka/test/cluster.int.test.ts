import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { Admin, Consumer, ProduceAcks, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { defineTopic, ensureTopics } from '@meridian/messaging';
import { uniqueName, waitFor } from '@meridian/testkit';
import { ensureKafkaCluster, clusterBrokerIds } from '../cluster.ts';
import { kafkaConnection, kafkaLoginEnv } from '@meridian/config';

/** True when nothing listens on 127.0.0.1:port. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A base port with base..base+2 and base+100..base+102 free (brokers and controllers), all below Linux's
 * ephemeral range (32768+): another test's outgoing connection took an ephemeral one between this check
 * and the broker's bind, and the node exited with "Address already in use".
 */
async function freeBasePort(): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const ports = [0, 1, 2, 100, 101, 102].map((offset) => base + offset);
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
  }
}

const total = 600;
const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];

test('a 3-node KRaft cluster keeps every acknowledged message when a broker stops mid-stream', { timeout: 300_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'meridian-kafka-cluster-'));
  const cluster = await ensureKafkaCluster({ dataDir, basePort: await freeBasePort(), log: (line) => t.diagnostic(line) });
  t.after(async () => {
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  assert.equal(cluster.started, true);
  assert.equal(cluster.brokers.length, 3);
  assert.deepEqual(await clusterBrokerIds(cluster.brokers, cluster.admin), [1, 2, 3]);
  // The cluster's own admin login (not the one of the broker npm test runs).
  const connection = kafkaConnection(cluster.brokers, kafkaLoginEnv(cluster.admin));

  const ns = uniqueName('cluster').replace(/[^a-z0-9_]/g, '_');
  const logical = 'stream.events';
  const topic = `${ns}.${logical}`;
  assert.deepEqual(
    (await ensureTopics({ brokers: connection, ns, topics: [defineTopic({ name: logical })], replicationFactor: 3, minInsyncReplicas: 2 })).sort(),
    [topic, `${topic}.dlq`],
  );

  const admin = new Admin({ clientId: 'cluster-test-admin', ...connection });
  t.after(() => admin.close());
  const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
  const partitions = metadata.topics.get(topic)!.partitions;
  assert.equal(partitions.length, 3);
  for (const partition of partitions) assert.deepEqual([...partition.replicas].sort(), [1, 2, 3]);
  const [described] = await admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: topic, configurationKeys: ['min.insync.replicas'] }] });
  assert.equal(described.configs.find((c) => c.name === 'min.insync.replicas')?.value, '2');

  // A steady stream (acks=all, idempotent); broker index 1 (node 2) stops a third of the way in.
  const producer = new Producer({
    clientId: 'cluster-test-producer',
    ...connection,
    serializers: stringSerializers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    // Retries span 30 s: on a busy machine the new leaders' election and the metadata refresh that finds
    // them took longer than 20 x 250 ms once (a real producer waits up to delivery.timeout.ms, 120 s by default).
    retries: 60,
    retryDelay: 500,
  });
  t.after(() => producer.close());
  let stopped: Promise<void> | undefined;
  for (let seq = 0; seq < total; seq++) {
    if (seq === total / 3) stopped = cluster.stopBroker(1);
    const key = keys[seq % keys.length];
    await producer.send({ messages: [{ topic, key, value: JSON.stringify({ id: `m-${seq}`, key, seq }) }] });
  }
  await stopped;
  assert.deepEqual(await clusterBrokerIds(cluster.brokers, cluster.admin), [1, 3], 'node 2 is down while the stream completed');

  const consumer = new Consumer({
    clientId: 'cluster-test-consumer',
    groupId: `${ns}.verify`,
    ...connection,
    deserializers: stringDeserializers,
    maxWaitTime: 500,
  });
  t.after(() => consumer.close(true));
  const received: { id: string; key: string; seq: number }[] = [];
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  stream.on('data', (message) => received.push(JSON.parse(message.value)));
  await waitFor(() => received.length >= total, { timeoutMs: 60_000 });
  await stream.close();

  assert.equal(received.length, total, 'no duplicates');
  assert.deepEqual(new Set(received.map((m) => m.id)), new Set(Array.from({ length: total }, (_, seq) => `m-${seq}`)), 'no loss');
  for (const key of keys) {
    const seqs = received.filter((m) => m.key === key).map((m) => m.seq);
    const expected = Array.from({ length: total }, (_, seq) => seq).filter((seq) => keys[seq % keys.length] === key);
    assert.deepEqual(seqs, expected, `key ${key} arrives in order without gaps`);
  }

  // The stopped node rejoins the cluster.
  await cluster.startBroker(1);
  assert.deepEqual(await clusterBrokerIds(cluster.brokers, cluster.admin), [1, 2, 3]);
});
