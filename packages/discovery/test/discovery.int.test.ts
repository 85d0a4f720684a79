import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { infra, uniqueName, waitFor } from '@meridian/testkit';
import {
  createEtcdClient,
  createResolver,
  createServiceClient,
  register,
  ServiceUnavailableError,
  type Registration,
  type Resolver,
  type ServiceInstance,
} from '../src/index.ts';

const { etcdEndpoints } = infra();
const cleanups: (() => Promise<unknown> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function instance(service: string, overrides: Partial<ServiceInstance> = {}): ServiceInstance {
  return {
    service,
    version: '1.0.0',
    instanceId: randomUUID(),
    url: 'http://127.0.0.1:1',
    apiVersions: ['v1'],
    health: 'ready',
    startedAt: new Date().toISOString(),
    ...overrides,
  };
}

async function registered(ns: string, record: ServiceInstance, endpoints = etcdEndpoints): Promise<Registration> {
  const registration = await register({ endpoints, ns, instance: record, keepAliveMs: 500 });
  cleanups.push(() => registration.deregister());
  return registration;
}

async function startedResolver(ns: string, endpoints = etcdEndpoints): Promise<Resolver> {
  const resolver = createResolver({ endpoints, ns, maxBackoffMs: 200 });
  await resolver.start();
  cleanups.push(() => resolver.stop());
  return resolver;
}

async function listening(server: Server | net.Server, port = 0): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** An HTTP server answering with its name and the traceparent it received. */
async function namedServer(name: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ name, traceparent: req.headers.traceparent ?? null }));
  });
  const url = `http://127.0.0.1:${await listening(server)}`;
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return { server, url };
}

/** A TCP relay to etcd that the test can cut and restore, to make etcd "unreachable" for real. */
async function etcdRelay() {
  const target = new URL(etcdEndpoints[0]);
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const relay = {
    url: '',
    async open() {
      server = net.createServer((client) => {
        const upstream = net.connect(Number(target.port), target.hostname);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => socket.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      port = await listening(server, port);
      relay.url = `http://127.0.0.1:${port}`;
    },
    async cut() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server?.close(resolve));
    },
  };
  await relay.open();
  cleanups.push(() => relay.cut());
  return relay;
}

describe('discovery against real etcd', () => {
  test('register, resolve, setHealth and deregister', async () => {
    const ns = uniqueName('disc');
    const record = instance('orders');
    const registration = await registered(ns, record);
    const resolver = await startedResolver(ns);

    assert.deepEqual(resolver.instances('orders'), [record]);
    assert.deepEqual(resolver.instances(), [record]);
    assert.deepEqual(resolver.resolve('orders'), record);
    assert.equal(resolver.resolve('payments'), undefined);

    await registration.setHealth('draining');
    await waitFor(() => resolver.instances('orders')[0]?.health === 'draining', { message: 'draining' });
    assert.equal(resolver.resolve('orders'), undefined, 'draining instances get no traffic');

    await registration.setHealth('ready');
    await waitFor(() => resolver.resolve('orders'), { message: 'ready again' });

    await registration.deregister();
    await waitFor(() => resolver.instances('orders').length === 0, { message: 'deregistered' });
  });

  test('the watch sees a new instance within a second', async () => {
    const ns = uniqueName('disc');
    const resolver = await startedResolver(ns);
    assert.equal(resolver.instances().length, 0);

    const started = Date.now();
    const record = instance('catalog');
    await registered(ns, record);
    await waitFor(() => resolver.resolve('catalog'), { timeoutMs: 1000, intervalMs: 10, message: 'new instance' });
    assert.ok(Date.now() - started < 1000);
  });

  test('an idle watch outlives the request timeout (no reconnects while etcd is healthy)', async () => {
    const ns = uniqueName('disc');
    const warnings: object[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (obj: object) => warnings.push(obj) };
    const resolver = createResolver({ endpoints: etcdEndpoints, ns, logger, requestTimeoutMs: 200 });
    await resolver.start();
    cleanups.push(() => resolver.stop());
    await new Promise((resolve) => setTimeout(resolve, 600));
    await registered(ns, instance('catalog'));
    await waitFor(() => resolver.resolve('catalog'), { timeoutMs: 1000, message: 'seen by the original watch' });
    assert.deepEqual(warnings, []);
  });

  test('instances that are starting are known but not resolved', async () => {
    const ns = uniqueName('disc');
    await registered(ns, instance('identity', { health: 'starting' }));
    const resolver = await startedResolver(ns);
    assert.equal(resolver.instances('identity').length, 1);
    assert.equal(resolver.resolve('identity'), undefined);
  });

  test('resolve round-robins over ready instances and skips recently failed ones', async () => {
    const ns = uniqueName('disc');
    const a = instance('inventory');
    const b = instance('inventory');
    await registered(ns, a);
    await registered(ns, b);
    const resolver = createResolver({ endpoints: etcdEndpoints, ns, failureCooldownMs: 300 });
    await resolver.start();
    cleanups.push(() => resolver.stop());

    const picks = Array.from({ length: 4 }, () => resolver.resolve('inventory')?.instanceId);
    assert.deepEqual(new Set(picks), new Set([a.instanceId, b.instanceId]));
    assert.notEqual(picks[0], picks[1]);

    resolver.markFailed(a.instanceId);
    for (let i = 0; i < 4; i++) assert.equal(resolver.resolve('inventory')?.instanceId, b.instanceId);

    resolver.markFailed(b.instanceId);
    assert.ok(resolver.resolve('inventory'), 'when every instance failed recently, still try one');

    await new Promise((resolve) => setTimeout(resolve, 350));
    const after = new Set(Array.from({ length: 4 }, () => resolver.resolve('inventory')?.instanceId));
    assert.equal(after.size, 2, 'the failure mark expires');
  });

  test('a lost lease is detected and the instance registers again', async () => {
    const ns = uniqueName('disc');
    const record = instance('payments');
    const registration = await registered(ns, record);
    const resolver = await startedResolver(ns);

    // Revoke the lease behind the registration's back, as an etcd restart would lose it.
    const key = Buffer.from(registration.key).toString('base64');
    const range = await fetch(`${etcdEndpoints[0]}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key }) });
    const { kvs } = (await range.json()) as { kvs: { lease: string }[] };
    await fetch(`${etcdEndpoints[0]}/v3/lease/revoke`, { method: 'POST', body: JSON.stringify({ ID: kvs[0].lease }) });
    await waitFor(() => resolver.instances('payments').length === 0, { message: 'key gone with the lease' });

    await waitFor(() => resolver.resolve('payments'), { timeoutMs: 3000, message: 're-registration' });
  });

  test('deletePrefix removes every key under a prefix and nothing beside it', async () => {
    const ns = uniqueName('disc');
    const etcd = createEtcdClient({ endpoints: etcdEndpoints });
    for (const key of [`/${ns}/a/1`, `/${ns}/a/2`, `/${ns}/ab`]) await etcd.put(key, 'x');
    cleanups.push(() => etcd.deletePrefix(`/${ns}/`));
    assert.equal(await etcd.deletePrefix(`/${ns}/a/`), 2);
    assert.deepEqual((await etcd.rangePrefix(`/${ns}/`)).kvs.map((kv) => kv.key), [`/${ns}/ab`]);
    assert.equal(await etcd.deletePrefix(`/${ns}/a/`), 0);
  });

  test('etcd endpoints fail over to the next one', async () => {
    const ns = uniqueName('disc');
    const dead = net.createServer();
    const deadUrl = `http://127.0.0.1:${await listening(dead)}`;
    await new Promise((resolve) => dead.close(resolve));

    await registered(ns, instance('notifications'), [deadUrl, ...etcdEndpoints]);
    const resolver = await startedResolver(ns, [deadUrl, ...etcdEndpoints]);
    assert.ok(resolver.resolve('notifications'));
  });

  test('keeps the last known view while etcd is unreachable, then catches up', async () => {
    const ns = uniqueName('disc');
    const relay = await etcdRelay();
    const first = instance('orders');
    const firstRegistration = await registered(ns, first);
    const resolver = await startedResolver(ns, [relay.url]);
    assert.equal(resolver.resolve('orders')?.instanceId, first.instanceId);

    await relay.cut();
    // etcd changes while this resolver cannot see it.
    const second = instance('orders');
    await registered(ns, second);
    await firstRegistration.deregister();
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(resolver.resolve('orders')?.instanceId, first.instanceId, 'last known view still served');

    await relay.open();
    await waitFor(
      () => {
        const ids = resolver.instances('orders').map((known) => known.instanceId);
        return ids.length === 1 && ids[0] === second.instanceId;
      },
      { timeoutMs: 5000, message: 'resync after etcd came back' },
    );
  });
});

describe('service client', () => {
  test('retries another instance when one refuses connections, and propagates traceparent', async () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    cleanups.push(() => {
      propagation.disable();
      context.disable();
    });
    const ns = uniqueName('disc');
    const alive = await namedServer('alive');
    const doomed = await namedServer('doomed');
    await registered(ns, instance('catalog', { url: alive.url, instanceId: 'a' }));
    await registered(ns, instance('catalog', { url: doomed.url, instanceId: 'b' }));
    const resolver = await startedResolver(ns);
    const client = createServiceClient(resolver, 'catalog');

    const names = new Set<string>();
    for (let i = 0; i < 4; i++) names.add(((await (await client.request('/x')).json()) as { name: string }).name);
    assert.deepEqual(names, new Set(['alive', 'doomed']));

    // Killed without deregistering: its registration stays, its port refuses connections.
    doomed.server.closeAllConnections();
    await new Promise((resolve) => doomed.server.close(resolve));
    for (let i = 0; i < 6; i++) {
      const response = await client.request('/x', { method: 'POST', body: '{}' });
      assert.equal(((await response.json()) as { name: string }).name, 'alive');
    }

    const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };
    const traced = trace.setSpanContext(context.active(), spanContext);
    const body = await context.with(traced, async () => (await client.request('/x')).json());
    assert.equal((body as { traceparent: string }).traceparent, `00-${spanContext.traceId}-${spanContext.spanId}-01`);
  });

  test('a connection broken mid-request is retried for GET but not for POST', async () => {
    const ns = uniqueName('disc');
    let resets = 0;
    const resetting = createServer((req) => {
      resets++;
      req.socket.destroy(); // ECONNRESET after the request reached the server
    });
    const resettingUrl = `http://127.0.0.1:${await listening(resetting)}`;
    cleanups.push(() => new Promise((resolve) => resetting.close(resolve)));
    const healthy = await namedServer('healthy');
    await registered(ns, instance('payments', { url: resettingUrl, instanceId: 'a' }));
    await registered(ns, instance('payments', { url: healthy.url, instanceId: 'b' }));
    const resolver = await startedResolver(ns);
    const client = createServiceClient(resolver, 'payments');

    // Round-robin starts at 'a' (the resetting one): GET is repeated on 'b'.
    const body = (await (await client.request('/x')).json()) as { name: string };
    assert.equal(body.name, 'healthy');
    assert.equal(resets, 1);

    // The resetting instance is now marked; let the mark lapse by using a fresh resolver.
    const fresh = await startedResolver(ns);
    await assert.rejects(createServiceClient(fresh, 'payments').request('/x', { method: 'POST', body: '{}' }));
    assert.equal(resets, 2, 'a POST that may have been processed is not sent again');
  });

  test('throws ServiceUnavailableError when no instance is ready', async () => {
    const resolver = await startedResolver(uniqueName('disc'));
    await assert.rejects(createServiceClient(resolver, 'orders').request('/x'), ServiceUnavailableError);
  });
});

test('a watch held open far past the per-call timeout logs nothing and still delivers a change', async () => {
  const ns = uniqueName('quiet');
  const lines: { level: string; msg: string }[] = [];
  const record = (level: string) => (_obj: object, msg?: string) => void lines.push({ level, msg: msg ?? '' });
  const logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
  // The only timeout left on the watch bounds opening it: 200 ms here, against etcd's 5 minute default idle.
  const resolver = createResolver({ endpoints: etcdEndpoints, ns, logger, requestTimeoutMs: 200, maxBackoffMs: 200 });
  await resolver.start();
  cleanups.push(() => resolver.stop());
  // Nothing changes in this namespace for ten times the timeout: a body timeout would have cut the stream.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  assert.deepEqual(lines.filter((l) => l.level === 'warn' || l.level === 'error'), [], 'no warning while idle');
  assert.ok(!lines.some((l) => l.msg.includes('resynchronised')), 'the watch was never reopened');
  const late = instance('late-comer');
  await registered(ns, late);
  await waitFor(() => resolver.instances('late-comer').length === 1, { timeoutMs: 5_000, message: 'the change through the idle watch' });
  assert.deepEqual(lines.filter((l) => l.level === 'warn' || l.level === 'error'), []);
});
