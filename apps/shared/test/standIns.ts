import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTokenIssuer, type TokenIssuer } from '@meridian/auth';
import { register, type Registration } from '@meridian/discovery';

/**
 * A stand-in for identity (JWKS) and the gateway (`GET /api/v1/orders/{id}` answers `orders[id]`,
 * `GET /api/v1/inventory?productIds=` the `stock` of those ids it holds),
 * registered in discovery under `ns`, so an app server can be tested without the whole platform.
 */
export async function startStandIns({ ns, etcdEndpoints }: { ns: string; etcdEndpoints: string[] }) {
  const issuer: TokenIssuer = await createTokenIssuer({ generate: true });
  const orders = new Map<string, { id: string; status: string; reason?: string }>();
  const stock = new Map<string, number>();
  const requests: { method: string; url: string; authorization?: string; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': status < 400 ? 'application/json' : 'application/problem+json' });
        res.end(JSON.stringify(value));
      };
      if (req.url === '/.well-known/jwks.json') return json(200, issuer.jwks());
      const order = /^\/api\/v1\/orders\/([^/?]+)$/.exec(req.url ?? '');
      if (order && orders.has(order[1])) return json(200, orders.get(order[1]));
      const levels = /^\/api\/v1\/inventory\?productIds=([^&]+)$/.exec(req.url ?? '');
      if (levels) {
        const ids = levels[1].split(',').filter((id) => stock.has(id));
        return json(200, { items: ids.map((productId) => ({ productId, available: stock.get(productId), reserved: 0 })) });
      }
      json(404, { type: 'https://meridian.dev/problems/not-found', title: 'Not found', status: 404, detail: `stand-in has no ${req.url}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const registrations: Registration[] = [];
  for (const service of ['identity', 'gateway']) {
    registrations.push(
      await register({
        endpoints: etcdEndpoints,
        ns,
        instance: { service, version: 'stand-in', instanceId: randomUUID(), url, apiVersions: ['v1'], health: 'ready', startedAt: new Date().toISOString() },
      }),
    );
  }
  return {
    url,
    issuer,
    orders,
    stock,
    requests,
    async stop() {
      await Promise.all(registrations.map((r) => r.deregister()));
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
