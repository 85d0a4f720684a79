import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Admin } from '@platformatic/kafka';
import postgres from 'postgres';
import { createTempDatabase, infra, uniqueName, waitFor } from '@meridian/testkit';
import { deleteNamespaceTopics } from '@meridian/testkit/services';
import { startService } from '../src/index.ts';
import { tinyService } from './fixtures/tiny-service.ts';
import { kafkaConnection } from '@meridian/config';

const { etcdEndpoints, kafkaBrokers } = infra();
const topic = 'tiny.events';

async function setup() {
  const database = await createTempDatabase('svc');
  const migrationsDir = await mkdtemp(join(tmpdir(), 'tiny-migrations-'));
  await writeFile(
    join(migrationsDir, '002_tiny.sql'),
    `create table notes (id serial primary key, text text not null);
     create table seen_users (user_id uuid primary key, traceparent text);`,
  );
  const ns = uniqueName('svc');
  const env = { DATABASE_URL: database.url, MERIDIAN_NAMESPACE: ns, PORT: '0', LOG_LEVEL: 'warn' };
  const cleanup = async () => {
    await database.drop();
    await rm(migrationsDir, { recursive: true, force: true });
    await deleteNamespaceTopics(ns);
  };
  return { ns, env, migrationsDir, cleanup };
}

/** The instance records registered under `/meridian/<ns>/services/tiny/`. */
async function registered(ns: string): Promise<{ health: string; url: string; apiVersions: string[] }[]> {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const prefix = `/meridian/${ns}/services/tiny/`;
  const rangeEnd = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  const response = await fetch(`${etcdEndpoints[0]}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: b64(prefix), range_end: b64(rangeEnd) }),
  });
  const body = (await response.json()) as { kvs?: { value: string }[] };
  return (body.kvs ?? []).map((kv) => JSON.parse(Buffer.from(kv.value, 'base64').toString()));
}

test('startService runs a service in-process with the whole chassis, and stop() undoes it', async (t) => {
  const { ns, env, migrationsDir, cleanup } = await setup();
  t.after(cleanup);
  const service = await startService(tinyService(migrationsDir, topic), { ...env, TINY_GREETING: 'hi' });
  t.after(() => service.stop());
  const { url } = service;

  assert.deepEqual(await (await fetch(`${url}/api/v1/greeting`)).json(), { greeting: 'hi' });
  const created = await fetch(`${url}/api/v1/notes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'migrated' }),
  });
  assert.equal(created.status, 201);
  assert.deepEqual(await created.json(), { id: 1, text: 'migrated' });

  const invalid = await fetch(`${url}/api/v1/notes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: '' }),
  });
  assert.equal(invalid.status, 400);
  assert.match(invalid.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const problem = await invalid.json();
  assert.equal(problem.type, 'https://meridian.dev/problems/validation-failed');
  assert.deepEqual(problem.errors.map((e: { field: string }) => e.field), ['text']);

  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  const ready = await fetch(`${url}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { status: 'ready', checks: { database: { status: 'ok' } } });

  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, /http_requests_total\{method="POST",route="\/api\/v1\/notes",status_code="201"\} 1/);
  assert.match(metrics, /outbox_backlog/, 'the outbox relay runs and reports to the shared registry');
  const pruned = /service_job_runs_total\{job="messaging-retention",result="ok"\} 1/;
  await waitFor(async () => pruned.test(await (await fetch(`${url}/metrics`)).text()), { timeoutMs: 5_000, message: 'the outbox and the inbox pruned at start' });

  const openapi = await (await fetch(`${url}/openapi.json`)).json();
  assert.deepEqual(Object.keys(openapi.paths).sort(), ['/api/v1/greeting', '/api/v1/notes', '/api/v1/users']);
  assert.equal(openapi.info.title, 'tiny');

  const [instance] = await waitFor(
    async () => {
      const instances = await registered(ns);
      return instances.length === 1 && instances[0].health === 'ready' ? instances : undefined;
    },
    { timeoutMs: 5000, message: 'instance registered as ready' },
  );
  assert.equal(instance.url, url);
  assert.deepEqual(instance.apiVersions, ['v1']);

  const admin = new Admin({ clientId: `${ns}.test-admin`, ...kafkaConnection(kafkaBrokers) });
  const topics = await admin.listTopics();
  await admin.close();
  assert.ok(topics.includes(`${ns}.${topic}`) && topics.includes(`${ns}.${topic}.dlq`), 'topics created');

  // HTTP → outbox → relay → Kafka → consumer, with the caller's trace carried all the way.
  const traceId = randomBytes(16).toString('hex');
  const registeredUser = await fetch(`${url}/api/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    body: JSON.stringify({ email: 'ada@example.com', name: 'Ada' }),
  });
  assert.equal(registeredUser.status, 202);
  const { userId } = await registeredUser.json();
  const [seen] = await waitFor(
    async () => {
      const rows = await service.ctx.sql`select user_id, traceparent from seen_users`;
      return rows.length > 0 ? rows : undefined;
    },
    { timeoutMs: 30_000, message: 'event consumed' },
  );
  assert.equal(seen.user_id, userId);
  assert.equal(seen.traceparent.split('-')[1], traceId);

  await service.stop();
  assert.deepEqual(await registered(ns), [], 'deregistered on stop');
  await assert.rejects(fetch(`${url}/healthz`), 'server closed');
});

test('startService refuses bad configuration, naming the variables', async () => {
  await assert.rejects(
    startService(tinyService('/nonexistent', topic), { DATABASE_URL: '', PORT: 'eighty', MERIDIAN_NAMESPACE: 'test' }),
    (error: Error) => {
      assert.equal(error.name, 'ConfigError');
      assert.match(error.message, /^Invalid configuration for tiny:/);
      assert.match(error.message, /DATABASE_URL: is required/);
      assert.match(error.message, /PORT: expected integer, got "eighty"/);
      return true;
    },
  );
});

test('runService: SIGTERM deregisters, drains and exits 0', async (t) => {
  const { ns, env, migrationsDir, cleanup } = await setup();
  t.after(cleanup);
  const child = spawn(process.execPath, [new URL('./fixtures/tiny-main.ts', import.meta.url).pathname], {
    env: { ...process.env, ...env, LOG_LEVEL: 'info', TINY_MIGRATIONS_DIR: migrationsDir, TINY_TOPIC: topic },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => child.kill('SIGKILL'));
  const exited = once(child, 'exit');
  const lines: Record<string, any>[] = [];
  let startedUrl: (url: string) => void = () => {};
  const started = new Promise<string>((resolve) => (startedUrl = resolve));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const entry = JSON.parse(line);
    lines.push(entry);
    if (entry.msg === 'service started') startedUrl(entry.url);
  });
  const url = await started;

  await waitFor(async () => (await registered(ns))[0]?.health === 'ready', { timeoutMs: 5000, message: 'ready in etcd' });
  assert.equal((await fetch(`${url}/healthz`)).status, 200);

  child.kill('SIGTERM');
  const [code] = await exited;
  assert.equal(code, 0);
  assert.deepEqual(await registered(ns), []);
  const messages = lines.map((l) => l.msg);
  assert.ok(messages.indexOf('signal received') < messages.indexOf('stopped'));
  for (const line of lines) {
    assert.equal(line.service, 'tiny');
    assert.equal(line.version, '0.0.1');
  }
});

test('discovery health: a ready instance leaves rotation after three failed readiness runs and returns once its database answers', { timeout: 60_000 }, async (t) => {
  const { ns, env, migrationsDir, cleanup } = await setup();
  const database = new URL(env.DATABASE_URL).pathname.slice(1);
  const admin = postgres(infra().pgAdminUrl, { max: 1, onnotice: () => {} });
  // The relay and the pool log the outage they are meant to ride out; only the fatal would matter here.
  const service = await startService(tinyService(migrationsDir, topic), { ...env, LOG_LEVEL: 'fatal' });
  t.after(async () => {
    await service.stop();
    await admin.unsafe(`alter database "${database}" with allow_connections true`);
    await admin.end();
    await cleanup();
  });
  await waitFor(async () => (await registered(ns))[0]?.health === 'ready', { timeoutMs: 5000, message: 'ready in etcd' });

  const failedAt = Date.now();
  await admin.unsafe(`alter database "${database}" with allow_connections false`);
  await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${database}`;
  await waitFor(async () => (await registered(ns))[0]?.health === 'starting', { timeoutMs: 20_000, intervalMs: 200, message: 'out of rotation' });
  const leftAfterMs = Date.now() - failedAt;
  // One run at the ready cadence (5 s) finds the failure, two more a second apart confirm it (plus the
  // probes' own time on a busy machine).
  assert.ok(leftAfterMs >= 1_500 && leftAfterMs <= 12_000, `left rotation ${leftAfterMs} ms after its database went away`);

  const backAt = Date.now();
  await admin.unsafe(`alter database "${database}" with allow_connections true`);
  await waitFor(async () => (await registered(ns))[0]?.health === 'ready', { timeoutMs: 10_000, intervalMs: 200, message: 'back in rotation' });
  const backAfterMs = Date.now() - backAt;
  t.diagnostic(`left rotation ${leftAfterMs} ms after its database went away, back ${backAfterMs} ms after it answered`);
  assert.ok(backAfterMs <= 4_000, `back in rotation ${backAfterMs} ms after its database answered (runs every second while out)`);
});
