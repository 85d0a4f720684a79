/**
 * Scale-out under faults (part of the chaos stage; heavy: 3 JVMs + 2 instances of every service):
 * a private 3-broker cluster (RF 3, min ISR 2), two full sets of service processes in one namespace,
 * a steady order stream through the gateway; one broker and one instance of every service stop
 * mid-stream. Every accepted order must end final exactly once, with stock conserved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { kafkaLoginEnv } from '@meridian/config';
import { waitFor } from '@meridian/testkit';
import { freePort } from '../../../scripts/lib/proc.ts';
import { startPlatform, type Platform } from '../../../scripts/platform.ts';
import { databaseName, dropNamespace } from '../../../scripts/provision.ts';
import { checkInvariants, orderStream, sleep, type Chaos } from '../../../test/chaos/harness.ts';
import { ensureKafkaCluster } from '../cluster.ts';

const adminUrl = process.env.PG_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

async function readyInstances(etcd: string, ns: string): Promise<Map<string, number>> {
  const prefix = `/meridian/${ns}/services/`;
  const b64 = (value: string) => Buffer.from(value).toString('base64');
  const rangeEnd = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  const response = await fetch(`${etcd}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: b64(prefix), range_end: b64(rangeEnd) }) });
  const { kvs = [] } = (await response.json()) as { kvs?: { value: string }[] };
  const counts = new Map<string, number>();
  for (const { value } of kvs) {
    const instance = JSON.parse(Buffer.from(value, 'base64').toString()) as { service: string; health: string };
    if (instance.health === 'ready') counts.set(instance.service, (counts.get(instance.service) ?? 0) + 1);
  }
  return counts;
}

test('stopping a broker and one instance of every service under a steady order stream loses nothing and doubles nothing', {
  timeout: 900_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-scale-'));
  const ns = `scale_${randomUUID().slice(0, 8)}`;
  // Exits of a service process once both sets are up are crashes (checkInvariants fails on them).
  const crashes: string[] = [];
  let running = false;
  const print = (line: string) => {
    if (running && /^\[platform\] ✖ \S+ exited/.test(line)) crashes.push(line);
    if (/^\[(platform|infra)\]/.test(line)) t.diagnostic(line);
  };
  // Below Linux's ephemeral ports (32768+), which any outgoing connection may take before a broker binds.
  const cluster = await ensureKafkaCluster({ dataDir: join(dir, 'kafka'), basePort: 20_000 + Math.floor(Math.random() * 12_000), log: print });
  const pools = new Map<string, postgres.Sql>();
  const platforms: Platform[] = [];
  let passed = false;
  t.after(async () => {
    for (const platform of platforms.reverse()) await platform.stop().catch(() => {});
    await Promise.all([...pools.values()].map((sql) => sql.end({ timeout: 5 })));
    await cluster.stop();
    await dropNamespace(adminUrl, ns).catch(() => {});
    // a failure keeps the service and broker logs to read
    if (passed) rmSync(dir, { recursive: true, force: true });
    else t.diagnostic(`logs kept in ${dir} (a/logs and b/logs: the two sets of services; kafka: the brokers)`);
  });

  const env = {
    ...process.env,
    KAFKA_BROKERS: cluster.brokers.join(','),
    ...kafkaLoginEnv(cluster.admin),
    KAFKA_REPLICATION_FACTOR: '3',
    KAFKA_MIN_INSYNC_REPLICAS: '2',
    LOG_SHIPPING: 'off',
    PG_ADMIN_URL: adminUrl,
  };
  // Two complete sets of processes in one namespace = two instances of every service (and gateway), in
  // slots 1 and 2: one slot each, or the consumers (static group members named by slot) fence each other out.
  for (const [index, set] of ['a', 'b'].entries()) {
    // One namespace, one set of generated passwords: the second set logs in as the same users.
    if (set === 'b') cpSync(join(dir, 'a', 'secrets'), join(dir, 'b', 'secrets'), { recursive: true });
    platforms.push(await startPlatform({ ns, gatewayPort: await freePort(), print, firstSlot: index + 1, env: { ...env, MERIDIAN_DATA_DIR: join(dir, set) } }));
  }
  const [first, second] = platforms;
  const etcd = (process.env.ETCD_ENDPOINTS || 'http://127.0.0.1:2379').split(',')[0];
  const counts = await waitFor(async () => {
    const ready = await readyInstances(etcd, ns);
    return first.services.every((s) => (ready.get(s) ?? 0) >= 2) ? ready : undefined;
  }, { timeoutMs: 60_000, message: 'two ready instances of every service' });
  t.diagnostic(`ready instances: ${JSON.stringify(Object.fromEntries(counts))}`);
  running = true;

  process.env.GATEWAY_URL = first.gatewayUrl;
  const system = await import('../../../test/system/support.ts');
  const staffToken = await system.staffLogin();
  const customers = await Promise.all([1, 2, 3, 4].map(() => system.registerCustomer()));
  const products = await Promise.all([400, 400, 400, 15].map(async (stock) => ({ id: (await system.createStockedProduct(staffToken, stock)).id, initialStock: stock })));
  const db = (service: string) => {
    let sql = pools.get(service);
    if (!sql) {
      const url = new URL(adminUrl);
      url.pathname = `/${databaseName(ns, service)}`;
      sql = postgres(url.toString(), { max: 2, onnotice: () => {} });
      pools.set(service, sql);
    }
    return sql;
  };
  await waitFor(async () => {
    const [{ known }] = await db('orders')`select count(*)::int as known from catalog_products where product_id = any(${products.map((p) => p.id)})`;
    return known === products.length;
  }, { timeoutMs: 60_000, message: 'orders to learn the products' });
  const chaos = { ns, platform: first, gatewayUrl: first.gatewayUrl, staffToken, customers, products, db, crashes } as unknown as Chaos;

  const streaming = orderStream(chaos, { ratePerSecond: 5, durationMs: 45_000 });
  await sleep(10_000);
  t.diagnostic('stopping broker node 2');
  await cluster.stopBroker(1);
  await sleep(10_000);
  t.diagnostic('stopping one instance of every service');
  await second.stop();
  platforms.pop();
  const stream = await streaming;
  const settled = await checkInvariants(chaos, stream);
  t.diagnostic(`settled: ${JSON.stringify({ ...settled, accepted: stream.accepted.length, erroredAttempts: stream.erroredAttempts, longestAcceptGapMs: stream.longestAcceptGapMs })}`);
  assert.equal(stream.failed, 0, 'every order is eventually accepted');
  assert.ok(stream.accepted.length > 100);
  assert.ok(stream.longestAcceptGapMs < 15_000, `traffic continued (longest gap ${stream.longestAcceptGapMs} ms)`);
  passed = true;
});
