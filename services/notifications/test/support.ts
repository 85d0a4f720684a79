/** Test helpers: a JWKS-serving identity registered in real etcd, and real Kafka produce. */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import { createTokenIssuer, type TokenIssuer } from '@meridian/auth';
import { register } from '@meridian/discovery';
import { createEnvelope, type EventEnvelope } from '@meridian/messaging';
import { infra, uniqueName } from '@meridian/testkit';

/**
 * A stand-in for the identity service: serves a test issuer's JWKS over HTTP and registers as
 * `identity` in etcd, so services verify tokens exactly as in production (JWKS via discovery).
 */
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

/** Publishes contract envelopes to real Kafka the way the outbox relay does (key, JSON value, headers). */
export function createTestProducer() {
  const producer = new Producer({
    clientId: uniqueName('test_producer'),
    bootstrapBrokers: infra().kafkaBrokers,
    serializers: stringSerializers,
  });
  return {
    async send(topic: string, envelope: EventEnvelope) {
      await producer.send({
        messages: [
          {
            topic,
            key: envelope.key,
            value: JSON.stringify(envelope),
            headers: { 'event-type': envelope.type, 'event-version': String(envelope.version) },
          },
        ],
      });
      return envelope;
    },
    close: () => producer.close(),
  };
}

export function envelope(type: string, version: number, key: string, data: object, source = 'test'): EventEnvelope {
  return createEnvelope({ type, version, source, key, data });
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
