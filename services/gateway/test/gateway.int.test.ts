import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { infra, uniqueName, waitFor } from '@meridian/testkit';
import { createEtcdClient, createResolver, register, type Registration, type Resolver, type ServiceInstance } from '@meridian/discovery';
import { buildGateway } from '../src/gateway.ts';
import { trafficKey, type TrafficSplits, watchTrafficSplits } from '../src/versions.ts';

const { etcdEndpoints } = infra();
const cleanups: (() => Promise<unknown> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

interface Echo {
  name: string;
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  bodySha256: string;
  bodyBytes: number;
  /** The gateway's end of the connection the request came on. */
  remotePort: number;
}

interface Backend {
  name: string;
  server: Server;
  url: string;
  hits: number;
  /** Requests to `/drop-first` it closed the connection on. */
  dropped: number;
  /** When the gateway closed a request to `/slow` (it never gets an answer). */
  slowClosedAt?: number;
  registration: Registration;
  /** Stops the server (dropping open connections), optionally leaving its registration behind. */
  kill(options: { deregister: boolean }): Promise<void>;
}

/** Idempotency keys whose first request some backend dropped (`/drop-first`), shared by every backend. */
const droppedKeys = new Set<string>();

/**
 * A real HTTP backend registered in discovery that echoes what it received. `/slow` never answers;
 * `/drop-first` closes the connection without answering the first request of each Idempotency-Key (and
 * every request without one), as an instance dying mid-request does.
 */
async function backend(ns: string, service: string, name: string, health: ServiceInstance['health'] = 'ready', version = '1.0.0'): Promise<Backend> {
  const server = createServer(async (req, res) => {
    self.hits++;
    if (req.url === '/api/v1/orders/slow') {
      req.socket.once('close', () => (self.slowClosedAt = Date.now()));
      return; // never answers
    }
    if (req.url === '/api/v1/orders/drop-first') {
      const key = req.headers['idempotency-key'];
      if (typeof key !== 'string' || !droppedKeys.has(key)) {
        if (typeof key === 'string') droppedKeys.add(key);
        self.dropped++;
        req.socket.destroy();
        return;
      }
    }
    if (req.url === '/api/v1/orders/broken') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
      res.write('only part of the body');
      setTimeout(() => res.destroy(), 20);
      return;
    }
    const hash = createHash('sha256');
    let bodyBytes = 0;
    for await (const chunk of req) {
      hash.update(chunk);
      bodyBytes += chunk.length;
    }
    const echo: Echo = { name, method: req.method!, url: req.url!, headers: req.headers, bodySha256: hash.digest('hex'), bodyBytes, remotePort: req.socket.remotePort! };
    if (req.url?.startsWith('/api/v1/orders/download')) {
      res.setHeader('content-type', 'application/octet-stream');
      res.setHeader('x-backend', name);
      const size = Number(new URL(req.url, 'http://x').searchParams.get('bytes'));
      for (let sent = 0; sent < size; sent += 65536) res.write(Buffer.alloc(Math.min(65536, size - sent), 7));
      return res.end();
    }
    res.setHeader('content-type', 'application/json');
    res.setHeader('x-backend', name);
    res.end(JSON.stringify(echo));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const registration = await register({
    endpoints: etcdEndpoints,
    ns,
    instance: { service, version, instanceId: `${name}-${randomUUID()}`, url, apiVersions: ['v1'], health, startedAt: new Date().toISOString() },
  });
  const stopServer = () => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  };
  const self: Backend = {
    name,
    server,
    url,
    hits: 0,
    dropped: 0,
    registration,
    async kill({ deregister }) {
      await stopServer();
      if (deregister) await registration.deregister();
    },
  };
  cleanups.push(() => registration.deregister(), stopServer);
  return self;
}

async function startedResolver(ns: string): Promise<Resolver> {
  const resolver = createResolver({ endpoints: etcdEndpoints, ns });
  await resolver.start();
  cleanups.push(() => resolver.stop());
  return resolver;
}

async function startedGateway(ns: string, options: { expectedServices?: string[]; upstreamTimeoutMs?: number; splits?: TrafficSplits } = {}) {
  const resolver = await startedResolver(ns);
  const app = buildGateway({
    resolver,
    expectedServices: options.expectedServices ?? ['orders'],
    upstreamTimeoutMs: options.upstreamTimeoutMs,
    splits: options.splits?.current,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => app.close());
  return { url, resolver };
}

const echoOf = async (response: Response): Promise<Echo> => {
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as Echo;
};

describe('gateway routing through discovery (real etcd)', () => {
  let ns: string;
  let gateway: { url: string; resolver: Resolver };
  let a: Backend;
  let b: Backend;

  before(async () => {
    ns = uniqueName('gw');
    a = await backend(ns, 'orders', 'a');
    b = await backend(ns, 'orders', 'b');
    gateway = await startedGateway(ns, { upstreamTimeoutMs: 500 });
  });

  test('round-robins across two instances and forwards path, query and headers', async () => {
    const names: string[] = [];
    for (let i = 0; i < 6; i++) {
      const echo = await echoOf(
        await fetch(`${gateway.url}/api/v1/orders/42?expand=lines&i=${i}`, {
          headers: {
            authorization: 'Bearer t0ken',
            'idempotency-key': 'idem-1',
            traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
            'x-request-id': `req-${i}`,
          },
        }),
      );
      names.push(echo.name);
      assert.equal(echo.url, `/api/v1/orders/42?expand=lines&i=${i}`);
      assert.equal(echo.headers.authorization, 'Bearer t0ken');
      assert.equal(echo.headers['idempotency-key'], 'idem-1');
      // Same trace; the gateway's own span is the upstream's parent.
      assert.match(String(echo.headers.traceparent), /^00-0af7651916cd43dd8448eb211c80319c-(?!b7ad6b7169203331)[0-9a-f]{16}-01$/);
      assert.equal(echo.headers['x-request-id'], `req-${i}`);
      assert.equal(echo.headers['x-forwarded-for'], '127.0.0.1');
      assert.equal(echo.headers['x-forwarded-proto'], 'http');
      assert.equal(echo.headers['x-forwarded-host'], new URL(gateway.url).host);
    }
    assert.equal(names.filter((name) => name === 'a').length, 3);
    assert.equal(names.filter((name) => name === 'b').length, 3);
  });

  test('counts proxied requests per route prefix on /metrics', async () => {
    await echoOf(await fetch(`${gateway.url}/api/v1/orders/metrics-probe`));
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('http_requests_total{') && l.includes('route="/api/v1/orders/*"') && l.includes('status_code="200"'));
    assert.ok(line, 'a counter line for the proxied route');
    assert.ok(Number(line.split(' ').at(-1)) >= 1);
    assert.match(text, /http_request_duration_seconds_bucket\{[^}]*route="\/api\/v1\/orders\/\*"/);
  });

  test('serves one docs page with each service\'s OpenAPI document, fetched from an instance', async () => {
    const docs = await fetch(`${gateway.url}/docs/`);
    assert.equal(docs.status, 200);
    assert.match(docs.headers.get('content-type') ?? '', /text\/html/);
    const openapi = await fetch(`${gateway.url}/openapi/orders`);
    assert.equal(openapi.status, 200);
    const body = (await openapi.json()) as Echo & { servers: { url: string }[] };
    assert.equal(body.url, '/openapi.json', 'the instance was asked for its own document');
    assert.deepEqual(body.servers, [{ url: '/' }]);
    assert.equal((await fetch(`${gateway.url}/openapi/nobody`)).status, 404);
  });

  test('answers with a generated x-request-id and the upstream status and headers', async () => {
    const response = await fetch(`${gateway.url}/api/v1/admin/orders`);
    const echo = await echoOf(response);
    assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(echo.headers['x-request-id'], response.headers.get('x-request-id'));
    assert.ok(['a', 'b'].includes(response.headers.get('x-backend')!));

    const malformed = await fetch(`${gateway.url}/api/v1/orders`, { headers: { 'x-request-id': 'bad id!' } });
    assert.match(malformed.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, 'a malformed id is replaced');
    assert.equal((await echoOf(malformed)).headers['x-request-id'], malformed.headers.get('x-request-id'));

    for (const method of ['HEAD', 'OPTIONS', 'PATCH', 'DELETE']) {
      const other = await fetch(`${gateway.url}/api/v1/orders/7`, { method });
      assert.equal(other.status, 200, method);
      if (method === 'HEAD') assert.equal(await other.text(), '');
      else assert.equal(((await other.json()) as Echo).method, method);
    }
  });

  test('streams large bodies both ways', async () => {
    const body = randomBytes(3 * 1024 * 1024);
    const posted = await echoOf(
      await fetch(`${gateway.url}/api/v1/orders`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } }),
    );
    assert.equal(posted.method, 'POST');
    assert.equal(posted.bodyBytes, body.length);
    assert.equal(posted.bodySha256, createHash('sha256').update(body).digest('hex'));

    // A chunked request body without a content-type, then a chunked 5 MiB response.
    const chunked = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"part":1}'));
        controller.enqueue(new TextEncoder().encode('{"part":2}'));
        controller.close();
      },
    });
    const streamed = await echoOf(await fetch(`${gateway.url}/api/v1/orders`, { method: 'PUT', body: chunked, duplex: 'half' } as RequestInit));
    assert.equal(streamed.bodyBytes, 20);

    const download = await fetch(`${gateway.url}/api/v1/orders/download?bytes=${5 * 1024 * 1024}`);
    assert.equal(download.status, 200);
    assert.equal((await download.arrayBuffer()).byteLength, 5 * 1024 * 1024);
  });

  test('a client that stops reading for a while still gets the whole answer, and the gateway keeps serving', async () => {
    const bytes = 8 * 1024 * 1024;
    const url = new URL(`${gateway.url}/api/v1/orders/download?bytes=${bytes}`);
    const received = await new Promise<number>((resolve, reject) => {
      request({ host: url.hostname, port: url.port, path: `${url.pathname}${url.search}` }, (response) => {
        let total = 0;
        let paused = false;
        response.on('data', (chunk: Buffer) => {
          total += chunk.length;
          if (paused) return;
          // Stop reading for a while after the first chunk: the gateway's writes to this client fill up.
          paused = true;
          response.pause();
          setTimeout(() => response.resume(), 400);
        });
        response.once('end', () => resolve(total));
        response.once('error', reject);
      })
        .once('error', reject)
        .end();
    });
    assert.equal(received, bytes);
    await echoOf(await fetch(`${gateway.url}/api/v1/orders`));
  });

  test('a command with an Idempotency-Key reuses kept-alive connections; one without gets a connection of its own', async () => {
    const post = async (body: string, key?: string) =>
      echoOf(await fetch(`${gateway.url}/api/v1/orders`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
      }));
    const keyed: Echo[] = [];
    for (let i = 0; i < 6; i++) keyed.push(await post(`{"n":${i}}`, `key-${i}`));
    for (const [i, echo] of keyed.entries()) {
      assert.equal(echo.headers['idempotency-key'], `key-${i}`);
      assert.equal(echo.bodyBytes, `{"n":${i}}`.length, 'the buffered body arrived whole');
      assert.equal(echo.headers['content-length'], String(echo.bodyBytes));
    }
    // Sent one after the other: one connection per instance, reused.
    for (const name of ['a', 'b']) assert.equal(new Set(keyed.filter((e) => e.name === name).map((e) => e.remotePort)).size, 1, `one connection to ${name}`);

    const unkeyed: Echo[] = [];
    for (let i = 0; i < 4; i++) unkeyed.push(await post(`{"n":${i}}`));
    assert.equal(new Set(unkeyed.map((e) => `${e.name}:${e.remotePort}`)).size, 4, 'a fresh connection each');
    assert.ok(unkeyed.every((e) => !keyed.some((k) => k.remotePort === e.remotePort)));
  });

  test('answers 504 problem+json when the upstream does not answer in time', async () => {
    const response = await fetch(`${gateway.url}/api/v1/orders/slow`);
    assert.equal(response.status, 504);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const body = (await response.json()) as { type: string; status: number; instance: string };
    assert.equal(body.type, 'https://meridian.dev/problems/gateway-timeout');
    assert.equal(body.status, 504);
    assert.equal(body.instance, '/api/v1/orders/slow');
  });

  test('cancels the upstream request when the client goes away first', async () => {
    const owner = (await fetch(`${gateway.url}/api/v1/orders`).then(echoOf)).name === 'a' ? b : a; // next in rotation
    owner.slowClosedAt = undefined;
    const abortedAt = Date.now();
    await assert.rejects(fetch(`${gateway.url}/api/v1/orders/slow`, { signal: AbortSignal.timeout(100) }));
    const closedAt = await waitFor(() => owner.slowClosedAt, { timeoutMs: 1000, message: 'upstream request closed' });
    assert.ok(closedAt - abortedAt < 400, `closed ${closedAt - abortedAt} ms after the client left, before the 500 ms timeout`);
    const next = new Set([(await fetch(`${gateway.url}/api/v1/orders`).then(echoOf)).name, (await fetch(`${gateway.url}/api/v1/orders`).then(echoOf)).name]);
    assert.deepEqual(next, new Set(['a', 'b']), 'a client leaving does not mark the instance as failed');
  });

  test('an upstream dying mid-body truncates the response and the gateway keeps serving', async () => {
    const response = await fetch(`${gateway.url}/api/v1/orders/broken`);
    assert.equal(response.status, 200);
    await assert.rejects(response.text());
    await echoOf(await fetch(`${gateway.url}/api/v1/orders`));
  });

  test('answers 503 for a service without ready instances and 404 for unknown paths', async () => {
    const unavailable = await fetch(`${gateway.url}/api/v1/payments/x`);
    assert.equal(unavailable.status, 503);
    assert.equal(((await unavailable.json()) as { type: string }).type, 'https://meridian.dev/problems/service-unavailable');

    const unknown = await fetch(`${gateway.url}/nope`);
    assert.equal(unknown.status, 404);
    const body = (await unknown.json()) as { type: string; detail: string };
    assert.equal(body.type, 'https://meridian.dev/problems/not-found');
    assert.match(body.detail, /described at \/docs/);
  });

  test('GET / sends a browser to /docs and tells a client where the docs and OpenAPI documents are', async () => {
    const browser = await fetch(`${gateway.url}/`, { headers: { accept: 'text/html,application/xhtml+xml' }, redirect: 'manual' });
    assert.equal(browser.status, 302);
    assert.equal(browser.headers.get('location'), '/docs');
    const client = await fetch(`${gateway.url}/`);
    assert.equal(client.status, 200);
    const index = (await client.json()) as { docs: string; openapi: Record<string, string> };
    assert.equal(index.docs, '/docs');
    assert.equal(index.openapi.orders, '/openapi/orders');
  });

  test('a new instance gets traffic; a killed and deregistered one stops getting it', async () => {
    const c = await backend(ns, 'orders', 'c');
    await waitFor(() => gateway.resolver.instances('orders').length === 3, { timeoutMs: 2000, message: 'c discovered' });
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await echoOf(await fetch(`${gateway.url}/api/v1/orders`))).name);
    assert.deepEqual(seen, new Set(['a', 'b', 'c']));

    await c.kill({ deregister: true });
    await waitFor(() => gateway.resolver.instances('orders').length === 2, { timeoutMs: 2000, message: 'c gone' });
    const hitsBefore = c.hits;
    for (let i = 0; i < 6; i++) assert.notEqual((await echoOf(await fetch(`${gateway.url}/api/v1/orders`))).name, 'c');
    assert.equal(c.hits, hitsBefore);
  });

  test('a killed instance that never deregistered (connection refused) is retried around, for any method', async () => {
    const d = await backend(ns, 'orders', 'd');
    await waitFor(() => gateway.resolver.instances('orders').length === 3, { timeoutMs: 2000, message: 'd discovered' });
    await d.kill({ deregister: false });
    assert.equal(gateway.resolver.instances('orders').length, 3, 'd is still registered');

    const started = Date.now();
    for (let i = 0; i < 12; i++) {
      // A read, a command streamed on a connection of its own, a command with its body buffered for a replay.
      const kind = (['GET', 'POST', 'POST with Idempotency-Key'] as const)[i % 3]!;
      const init: RequestInit = kind === 'GET' ? {} : {
        method: 'POST',
        body: '{"n":1}',
        headers: { 'content-type': 'application/json', ...(kind === 'POST' ? {} : { 'idempotency-key': `refused-${i}` }) },
      };
      const echo = await echoOf(await fetch(`${gateway.url}/api/v1/orders`, init));
      assert.ok(['a', 'b'].includes(echo.name));
      if (kind !== 'GET') assert.equal(echo.bodyBytes, 7, `${kind}: the body reached the instance that answered`);
    }
    assert.ok(Date.now() - started < 3000);
  });
});

describe('gateway routing between versions running side by side (real etcd)', () => {
  let ns: string;
  let gateway: { url: string };
  const etcd = createEtcdClient({ endpoints: etcdEndpoints });
  /** A token-shaped header for customer `sub` (the gateway only reads its subject, to keep the customer on one version). */
  const customer = (sub: string) => `Bearer e30.${Buffer.from(JSON.stringify({ sub })).toString('base64url')}.sig`;
  const versionServing = async (headers: Record<string, string>) => {
    const response = await fetch(`${gateway.url}/api/v1/orders/1`, { headers });
    assert.equal(response.status, 200, await response.clone().text());
    await response.body?.cancel();
    return response.headers.get('x-meridian-version')!;
  };

  before(async () => {
    ns = uniqueName('gwv');
    await backend(ns, 'orders', 'stable-1', 'ready', '1.0.0');
    await backend(ns, 'orders', 'stable-2', 'ready', '1.0.0');
    await backend(ns, 'orders', 'canary', 'ready', '2.0.0');
    const splits = watchTrafficSplits({ endpoints: etcdEndpoints, ns });
    await splits.start();
    cleanups.push(() => splits.stop(), () => etcd.delete(trafficKey(ns, 'orders')));
    gateway = await startedGateway(ns, { splits });
  });

  test('without a split every ready instance of any version gets traffic, and the answer names the version that served it', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add(await versionServing({}));
    assert.deepEqual([...seen].sort(), ['1.0.0', '2.0.0']);
  });

  test('a split sends each customer to one version, in about the split\'s shares, and follows changes live', async () => {
    await etcd.put(trafficKey(ns, 'orders'), JSON.stringify({ '1.0.0': 80, '2.0.0': 20 }));
    // Applied once an unpinned request can no longer land anywhere: wait for a customer to stay put.
    await waitFor(async () => {
      const first = await versionServing({ authorization: customer('probe') });
      for (let i = 0; i < 5; i++) if ((await versionServing({ authorization: customer('probe') })) !== first) return false;
      return true;
    }, { timeoutMs: 5000, message: 'the split to reach the gateway' });
    const versions: string[] = [];
    for (let c = 0; c < 200; c++) {
      const authorization = customer(`customer-${c}`);
      const version = await versionServing({ authorization });
      versions.push(version);
      if (c < 20) for (let i = 0; i < 3; i++) assert.equal(await versionServing({ authorization }), version, 'a customer stays on its version');
    }
    const canaryShare = versions.filter((v) => v === '2.0.0').length / versions.length;
    assert.ok(canaryShare > 0.08 && canaryShare < 0.35, `canary share ${canaryShare} for a 20% split`);

    await etcd.put(trafficKey(ns, 'orders'), JSON.stringify({ '2.0.0': 100 }));
    await waitFor(async () => (await versionServing({ authorization: customer('customer-0') })) === '2.0.0', { timeoutMs: 5000, message: 'the new split' });
    for (let c = 0; c < 20; c++) assert.equal(await versionServing({ authorization: customer(`customer-${c}`) }), '2.0.0');

    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    assert.match(metrics, /gateway_upstream_responses_total\{service="orders",version="2\.0\.0",status_code="200"\} \d+/);
    assert.match(metrics, /gateway_upstream_responses_total\{service="orders",version="1\.0\.0",status_code="200"\} \d+/);
  });

  test('a header pins a version for testing; a version nobody runs is a 503 that says so', async () => {
    await etcd.put(trafficKey(ns, 'orders'), JSON.stringify({ '1.0.0': 100 }));
    await waitFor(async () => (await versionServing({})) === '1.0.0' && (await versionServing({})) === '1.0.0', { timeoutMs: 5000, message: 'the split' });
    for (let i = 0; i < 4; i++) assert.equal(await versionServing({ 'x-meridian-version': '2.0.0' }), '2.0.0');
    const missing = await fetch(`${gateway.url}/api/v1/orders/1`, { headers: { 'x-meridian-version': '9.9.9' } });
    assert.equal(missing.status, 503);
    assert.match((await missing.json()).detail, /no ready instance of orders at version 9\.9\.9/);
  });
});

describe('gateway failure answers', () => {
  test('a command whose instance dies before answering is sent to another one only when it carries an Idempotency-Key', async () => {
    const ns = uniqueName('gw');
    const first = await backend(ns, 'orders', 'first');
    const second = await backend(ns, 'orders', 'second');
    const { url, resolver } = await startedGateway(ns);
    await waitFor(() => resolver.instances('orders').length === 2, { timeoutMs: 2000, message: 'both discovered' });
    const post = (headers: Record<string, string> = {}) =>
      fetch(`${url}/api/v1/orders/drop-first`, { method: 'POST', body: '{"n":1}', headers: { 'content-type': 'application/json', ...headers } });

    const keyed = await echoOf(await post({ 'idempotency-key': `drop-${ns}` }));
    assert.equal(keyed.bodyBytes, 7, 'the buffered body was sent again whole');
    assert.equal(first.dropped + second.dropped, 1, 'dropped once, answered by the other instance');
    assert.equal(first.hits + second.hits, 2);

    // Without a key the first instance may have acted on it: the gateway does not send it again.
    const unkeyed = await post();
    assert.equal(unkeyed.status, 502);
    assert.equal(((await unkeyed.json()) as { type: string }).type, 'https://meridian.dev/problems/bad-gateway');
    assert.equal(first.dropped + second.dropped, 2, 'sent once');
    assert.equal(first.hits + second.hits, 3);
  });

  test('502 problem+json when every instance refuses connections', async () => {
    const ns = uniqueName('gw');
    const lone = await backend(ns, 'orders', 'lone');
    const { url } = await startedGateway(ns);
    await lone.kill({ deregister: false });
    const response = await fetch(`${url}/api/v1/orders`, { method: 'POST', body: '{}' });
    assert.equal(response.status, 502);
    assert.equal(((await response.json()) as { type: string }).type, 'https://meridian.dev/problems/bad-gateway');
  });
});

describe('gateway /healthz', () => {
  test('503 with the missing services until every expected service has a ready instance', async () => {
    const ns = uniqueName('gw');
    const { url, resolver } = await startedGateway(ns, { expectedServices: ['orders', 'catalog'] });
    const orders = await backend(ns, 'orders', 'o1');
    const catalog = await backend(ns, 'catalog', 'c1', 'starting');
    await waitFor(() => resolver.instances().length === 2, { message: 'both discovered' });

    const notReady = await fetch(`${url}/healthz`);
    assert.equal(notReady.status, 503);
    const body = (await notReady.json()) as { status: string; missing: string[]; services: { service: string; instances: { url: string; health: string }[] }[] };
    assert.deepEqual(body.missing, ['catalog']);
    assert.deepEqual(
      body.services.map(({ service, instances }) => [service, instances.map((i) => i.health)]),
      [['catalog', ['starting']], ['orders', ['ready']]],
    );
    assert.equal(body.services[1].instances[0].url, orders.url);

    await catalog.registration.setHealth('ready');
    await waitFor(async () => (await fetch(`${url}/healthz`)).status === 200, { message: 'healthy' });
    const ready = (await (await fetch(`${url}/healthz`)).json()) as { status: string; missing?: string[] };
    assert.equal(ready.status, 'ready');
    assert.equal(ready.missing, undefined);
  });
});

describe('gateway process (src/main.ts)', () => {
  test('registers itself in discovery, serves /healthz there and deregisters on SIGTERM', async () => {
    const ns = uniqueName('gw');
    await backend(ns, 'orders', 'o1');
    const resolver = await startedResolver(ns);
    const node = process.execPath;
    const child = spawn(node, [fileURLToPath(new URL('../src/main.ts', import.meta.url))], {
      env: { ...process.env, MERIDIAN_NAMESPACE: ns, GATEWAY_PORT: '0', GATEWAY_EXPECTED_SERVICES: 'orders', LOG_LEVEL: 'warn', ETCD_ENDPOINTS: etcdEndpoints.join(',') },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    cleanups.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });

    const self = await waitFor(() => resolver.resolve('gateway'), { timeoutMs: 10_000, message: 'gateway registered' });
    const health = await fetch(`${self.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(((await (await fetch(`${self.url}/api/v1/orders`)).json()) as Echo).name, 'o1');

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    await waitFor(() => resolver.instances('gateway').length === 0, { timeoutMs: 2000, message: 'gateway deregistered' });
  });
});
