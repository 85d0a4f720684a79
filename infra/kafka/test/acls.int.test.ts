// The local broker's logins and ACLs (issue: Kafka lets anyone in): each service's user does what its
// declarations say and nothing else; a client without a login, or with a wrong password, gets nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Admin, Consumer, Producer, stringSerializers } from '@platformatic/kafka';
import { kafkaConnection, kafkaLoginEnv, type KafkaConnection } from '@meridian/config';
import { logsTopic } from '@meridian/log';
import { defineTopic, ensureTopics } from '@meridian/messaging';
import { infra, uniqueName } from '@meridian/testkit';
import { repoRoot } from '../../../scripts/lib/paths.ts';
import { dropKafkaUsers, platformKafkaNeeds, provisionKafkaUsers } from '../../../scripts/lib/kafkaUsers.ts';
import { webApps } from '../../../apps/index.ts';

const { kafkaBrokers, kafka: admin } = infra();

/** What a send as `connection` ends in: 'ok' or the broker's error code (e.g. TOPIC_AUTHORIZATION_FAILED). */
async function produce(connection: KafkaConnection, topic: string): Promise<string> {
  const producer = new Producer({ clientId: uniqueName('acl_test'), ...connection, serializers: stringSerializers, retries: 0, timeout: 5000 });
  try {
    await producer.send({ messages: [{ topic, key: 'k', value: 'v' }] });
    return 'ok';
  } catch (error) {
    return errorCode(error);
  } finally {
    await producer.close().catch(() => {});
  }
}

/** What reading `topic`'s first message in group `groupId` as `connection` ends in: 'ok' or the broker's error code. */
async function consume(connection: KafkaConnection, groupId: string, topic: string): Promise<string> {
  const consumer = new Consumer({ clientId: uniqueName('acl_test'), groupId, ...connection, retries: 10, retryDelay: 500, timeout: 5000, maxWaitTime: 200 });
  consumer.on('error', () => {}); // the outcome is what consume() or the stream reports
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
    try {
      return await new Promise<string>((resolve) => {
        stream.once('data', () => resolve('ok'));
        stream.once('error', (error) => resolve(errorCode(error)));
        setTimeout(() => resolve('nothing read within 15 s'), 15_000).unref();
      });
    } finally {
      await stream.close().catch(() => {});
    }
  } catch (error) {
    return errorCode(error);
  } finally {
    await consumer.close(true).catch(() => {});
  }
}

function errorCode(error: unknown): string {
  const codes = new Set<string>();
  const walk = (e: unknown) => {
    const { apiId, errors, cause } = e as { apiId?: string; errors?: unknown[]; cause?: unknown };
    if (apiId) codes.add(apiId);
    for (const inner of errors ?? []) walk(inner);
    if (cause) walk(cause);
  };
  walk(error);
  return codes.size > 0 ? [...codes].sort().join(',') : (error as Error).message;
}

test('each service logs in as itself and may only do what its declarations say; no login, no access', async (t) => {
  assert.ok(admin.sasl, 'the local broker takes logins (npm test starts it with SASL)');
  const ns = uniqueName('acl');
  const dataDir = mkdtempSync(join(tmpdir(), 'meridian-acl-'));
  const { needs } = await platformKafkaNeeds(join(repoRoot, 'services'), ['orders', 'payments', 'logging'], webApps);
  const logins = await provisionKafkaUsers({
    connection: admin, ns, needs, logsTopic, businessTopics: ['orders.events', 'payments.events'], env: { MERIDIAN_DATA_DIR: dataDir },
  });
  const adminClient = new Admin({ clientId: uniqueName('acl_admin'), ...admin });
  t.after(async () => {
    await adminClient.deleteTopics({ topics: topics.flatMap((topic) => [topic, `${topic}.dlq`]) }).catch(() => {});
    await adminClient.close();
    await dropKafkaUsers(admin, ns);
    rmSync(dataDir, { recursive: true, force: true });
  });
  const topics = ['orders.events', 'payments.events', logsTopic].map((name) => `${ns}.${name}`);
  await ensureTopics({ brokers: admin, ns, topics: ['orders.events', 'payments.events', logsTopic].map((name) => defineTopic({ name })) });
  // One message in each, so a permitted read has something to read.
  for (const topic of topics) assert.equal(await produce(admin, topic), 'ok');
  const as = (name: string) => kafkaConnection(kafkaBrokers, kafkaLoginEnv(logins[name]!));

  assert.deepEqual(Object.keys(logins).sort(), ['backoffice', 'logging', 'ops-console', 'orders', 'payments', 'storefront']);
  assert.equal(logins.orders!.username, `${ns}.orders`);
  assert.notEqual(logins.orders!.password, logins.payments!.password, 'no two users share a password');

  // A service writes its own topic and the logs topic, and nothing another service owns.
  assert.equal(await produce(as('orders'), `${ns}.orders.events`), 'ok');
  assert.equal(await produce(as('orders'), `${ns}.${logsTopic}`), 'ok');
  assert.equal(await produce(as('orders'), `${ns}.payments.events`), 'TOPIC_AUTHORIZATION_FAILED');
  assert.equal(await produce(as('payments'), `${ns}.orders.events`), 'TOPIC_AUTHORIZATION_FAILED');
  assert.equal(await produce(as('storefront'), `${ns}.orders.events`), 'TOPIC_AUTHORIZATION_FAILED');

  // It reads what it consumes, in groups named after itself only.
  assert.equal(await consume(as('orders'), `${ns}.orders.saga`, `${ns}.payments.events`), 'ok');
  assert.equal(await consume(as('orders'), `${ns}.payments.saga`, `${ns}.payments.events`), 'GROUP_AUTHORIZATION_FAILED');
  assert.equal(await consume(as('payments'), `${ns}.payments.x`, `${ns}.${logsTopic}`), 'TOPIC_AUTHORIZATION_FAILED');
  assert.equal(await consume(as('logging'), `${ns}.logging.indexer`, `${ns}.${logsTopic}`), 'ok');

  // The ops console reads every topic of the namespace and may replay into a business topic.
  assert.equal(await consume(as('ops-console'), `${ns}.ops-console.tail.1`, `${ns}.payments.events`), 'ok');
  assert.equal(await produce(as('ops-console'), `${ns}.payments.events`), 'ok');

  // Topics it does not own are created by whoever provisions the namespace, never by it.
  await assert.rejects(ensureTopics({ brokers: as('orders'), ns, topics: [defineTopic({ name: 'payments.refunds' })] }), /may not create/);
  assert.deepEqual(await ensureTopics({ brokers: as('payments'), ns, topics: [defineTopic({ name: 'orders.events' })] }), [], 'an existing topic it reads is found, not created');

  // Another namespace's topics are out of reach even for the same service name.
  assert.equal(await produce(as('orders'), `dev.orders.events`), 'TOPIC_AUTHORIZATION_FAILED');

  // Without a login, or with a wrong password, the broker answers nothing at all.
  const anonymous = { bootstrapBrokers: kafkaBrokers };
  assert.notEqual(await produce(anonymous, `${ns}.orders.events`), 'ok');
  const probe = new Admin({ clientId: uniqueName('acl_anonymous'), ...anonymous, retries: 0, timeout: 3000 });
  await assert.rejects(probe.listTopics(), 'an anonymous client cannot even list topics');
  await probe.close().catch(() => {});
  const wrong = kafkaConnection(kafkaBrokers, kafkaLoginEnv({ username: logins.orders!.username, password: 'not-the-password' }));
  assert.notEqual(await produce(wrong, `${ns}.orders.events`), 'ok');
});
