/** Test helpers: a JWKS-serving identity registered in real etcd, and namespace topic cleanup. */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Admin } from '@platformatic/kafka';
import { createTokenIssuer, type TokenIssuer } from '@meridian/auth';
import { register } from '@meridian/discovery';
import { infra, uniqueName } from '@meridian/testkit';

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

/** Removes every topic of a test namespace (`<ns>.*`). */
export async function deleteNamespaceTopics(ns: string): Promise<void> {
  const admin = new Admin({ clientId: uniqueName('test_admin'), bootstrapBrokers: infra().kafkaBrokers });
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${ns}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.close();
  }
}

/** A destination that discards lines (instead of stdout). */
export const discard = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });
