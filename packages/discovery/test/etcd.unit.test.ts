// The etcd client's unary calls against a local HTTP stand-in for etcd's JSON gateway.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { createEtcdClient, EtcdError } from '../src/etcd.ts';

async function serve(answer: (path: string, body: any) => { status?: number; body: unknown } | undefined): Promise<{ url: string; server: Server; connections: () => number }> {
  let connections = 0;
  const server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => (text += chunk));
    request.on('end', () => {
      const reply = answer(request.url ?? '', JSON.parse(text));
      if (!reply) return; // never answers
      response.writeHead(reply.status ?? 200, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
    });
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, connections: () => connections };
}

test('calls one after another share one kept-alive connection', async (t) => {
  const etcd = await serve(() => ({ body: { result: { TTL: '10' } } }));
  t.after(() => etcd.server.close());
  const client = createEtcdClient({ endpoints: [etcd.url] });
  for (let i = 0; i < 20; i += 1) assert.equal(await client.leaseKeepAlive('1'), 10);
  assert.equal(etcd.connections(), 1);
  etcd.server.closeAllConnections();
});

test('an endpoint that does not answer in time is left for the next one', async (t) => {
  const silent = await serve(() => undefined);
  const etcd = await serve((path, body) => ({ body: path === '/v3/lease/grant' ? { ID: '42', TTL: String(body.TTL) } : {} }));
  t.after(() => {
    silent.server.closeAllConnections();
    silent.server.close();
    etcd.server.closeAllConnections();
    etcd.server.close();
  });
  const client = createEtcdClient({ endpoints: [silent.url, etcd.url], timeoutMs: 200 });
  const startedAt = performance.now();
  assert.equal(await client.leaseGrant(10), '42');
  assert.ok(performance.now() - startedAt >= 190, 'the silent endpoint had its full timeout');
});

test("etcd's own error comes back as an EtcdError with its message", async (t) => {
  const etcd = await serve(() => ({ status: 400, body: { error: 'etcdserver: key is not provided', code: 3, message: 'etcdserver: key is not provided' } }));
  t.after(() => {
    etcd.server.closeAllConnections();
    etcd.server.close();
  });
  const client = createEtcdClient({ endpoints: [etcd.url] });
  await assert.rejects(client.put('', 'x'), (err: Error) => err instanceof EtcdError && /key is not provided/.test(err.message));
});

test('no endpoint answering is an EtcdError naming them', async () => {
  const client = createEtcdClient({ endpoints: ['http://127.0.0.1:1'], timeoutMs: 500 });
  await assert.rejects(client.leaseKeepAlive('1'), (err: Error) => err instanceof EtcdError && /unreachable at http:\/\/127\.0\.0\.1:1/.test(err.message));
});
