import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTokenIssuer, type TokenIssuer } from '@meridian/auth';
import { register } from '@meridian/discovery';
import { infra } from './index.ts';

export interface TokenAuthority {
  issuer: TokenIssuer;
  stop(): Promise<void>;
}

/**
 * A stand-in for the identity service: serves a test issuer's JWKS over HTTP and registers as
 * `identity` in etcd under `ns`, so services verify tokens exactly as in production (JWKS via discovery).
 */
export async function startTokenAuthority(ns: string): Promise<TokenAuthority> {
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
