/** Test helpers on real infrastructure: a JWKS-serving identity in etcd, Kafka produce and read. */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Admin, Consumer, Producer, stringSerializers, type Message } from '@platformatic/kafka';
import { createTokenIssuer, type TokenIssuer } from '@meridian/auth';
import { register } from '@meridian/discovery';
import { createEnvelope, type EventEnvelope } from '@meridian/messaging';
import { infra, uniqueName, waitFor } from '@meridian/testkit';

/** Serves a test issuer's JWKS and registers it as `identity`, so the service verifies tokens as in production. */
export async function startTokenAuthority(ns: string): Promise<{ issuer: TokenIssuer; stop(): Promise<void> }> {
  const issuer = await createTokenIssuer({ generate: true });
  const server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(issuer.jwks()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const registration = await register({
    endpoints: infra().etcdEndpoints,
    ns,
    instance: {
      service: 'identity',
      version: 'test',
      instanceId: randomUUID(),
      url: `http://127.0.0.1:${port}`,
      apiVersions: ['v1'],
      health: 'ready',
      startedAt: new Date().toISOString(),
    },
  });
  return {
    issuer,
    async stop() {
      await registration.deregister();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Publishes envelopes to Kafka the way the outbox relay does (key, JSON value, headers). */
export function createTestProducer() {
  const producer = new Producer({
    clientId: uniqueName('test_producer'),
    bootstrapBrokers: infra().kafkaBrokers,
    serializers: stringSerializers,
  });
  return {
    async send(topic: string, ...envelopes: EventEnvelope[]) {
      await producer.send({
        messages: envelopes.map((e) => ({
          topic,
          key: e.key,
          value: JSON.stringify(e),
          headers: { 'event-type': e.type, 'event-version': String(e.version) },
        })),
      });
    },
    close: () => producer.close(),
  };
}

export function envelope(type: string, version: number, key: string, data: object): EventEnvelope {
  return createEnvelope({ type, version, source: 'test', key, data });
}

/** Collects every event of a topic from the beginning until `close()`. */
export async function startReading(topic: string) {
  const consumer = new Consumer({
    clientId: uniqueName('test_reader'),
    groupId: uniqueName('test_reader'),
    bootstrapBrokers: infra().kafkaBrokers,
    autocommit: false,
    maxWaitTime: 200,
  });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
  const events: EventEnvelope<any>[] = [];
  stream.on('data', (m: Message<Buffer, Buffer, Buffer, Buffer>) => events.push(JSON.parse(m.value.toString())));
  return {
    events,
    where: (type: string, match: (data: any) => boolean = () => true) =>
      events.filter((e) => e.type === type && match(e.data)),
    waitFor: <T>(fn: () => T, message: string) => waitFor(fn, { timeoutMs: 20_000, message }),
    async close() {
      await stream.close();
      await consumer.close();
    },
  };
}

/** Removes every topic of a test namespace (`<ns>.*`, DLQs included). */
export async function deleteNamespaceTopics(ns: string): Promise<void> {
  const admin = new Admin({ clientId: uniqueName('test_admin'), bootstrapBrokers: infra().kafkaBrokers });
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${ns}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.close();
  }
}
