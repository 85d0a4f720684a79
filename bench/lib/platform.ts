/**
 * A private Meridian platform for one benchmark run: its own namespace (databases, roles, topics,
 * discovery keys, Redis keys), services as child processes with a chosen instance count each, and
 * the gateway on an ephemeral port. `stop()` removes everything it created.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { dropNamespace, provision } from '../../scripts/provision.ts';
import { projectNode, sleep, stopChild, cpuSecondsOf } from './proc.ts';
import { repoRoot, scratchFile } from './paths.ts';
import { infraEnv, type InfraEnv } from './infra.ts';
import { businessTopics } from '@meridian/contracts';
import { logsTopicSettings } from '@meridian/log';
import { defineTopic, ensureTopics } from '@meridian/messaging';
import { deleteNamespaceTopics } from './messaging.ts';
import { kafkaConnection } from '@meridian/config';
import { dropKafkaUsers } from '../../scripts/lib/kafkaUsers.ts';

/** A namespace unique to this run (provisioning allows lowercase letters, digits and `_`). */
export function benchNamespace(): string {
  return `bench_${randomBytes(4).toString('hex')}`;
}

export const staff = { email: 'staff@bench.local', password: 'bench-staff-password' };

interface Instance {
  service: string;
  child: ChildProcess;
}

export interface BenchPlatform {
  ns: string;
  gatewayUrl: string;
  processes(): { service: string; pid: number }[];
  /** CPU seconds used so far by every instance of `services` (all services when omitted). */
  cpuSeconds(services?: string[]): number;
  stop(): Promise<void>;
}

export interface PlatformOptions {
  /** Instances per backend service, e.g. `{ identity: 1, orders: 3 }`; the gateway is always added. */
  instances: Record<string, number>;
  env?: Record<string, string>;
  /** Run these services under `node --cpu-prof`; profiles land in `profileDir` when they exit. */
  profile?: { services: string[]; dir: string };
  /** PostgreSQL to provision the databases on; default PG_ADMIN_URL. */
  pgAdminUrl?: string;
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

export async function startBenchPlatform(options: PlatformOptions): Promise<BenchPlatform> {
  const infra = { ...infraEnv(), ...(options.pgAdminUrl ? { PG_ADMIN_URL: options.pgAdminUrl } : {}) };
  const ns = benchNamespace();
  const backends = Object.keys(options.instances);
  const log = options.log ?? (() => {});
  const running: Instance[] = [];

  const stop = async () => {
    const gateway = running.filter((i) => i.service === 'gateway');
    await Promise.all(gateway.map((i) => stopChild(i.child)));
    await Promise.all(running.filter((i) => i.service !== 'gateway').map((i) => stopChild(i.child, 10_000)));
    await cleanNamespace(infra, ns).catch((err: Error) => log(`cleanup of ${ns} incomplete: ${err.message}`));
  };

  try {
    const databaseUrls = await provision({ adminUrl: infra.PG_ADMIN_URL, ns, services: backends, env: {} });
    // Created up front: services racing to create the same topic at startup can fail (see docs/benchmarks.md).
    await ensureTopics({ brokers: infra.KAFKA_BROKERS, ns, topics: [...businessTopics, defineTopic(logsTopicSettings)] });
    const launch = (service: string, index: number, extra: Record<string, string>) => {
      const logFile = scratchFile(`${ns}.${service}.${index}.log`);
      const out = openSync(logFile, 'a');
      const profiled = options.profile?.services.includes(service);
      const profileArgs = profiled ? ['--cpu-prof', `--cpu-prof-dir=${options.profile!.dir}`] : [];
      const child = spawn(projectNode, [...profileArgs, join(repoRoot, 'services', service, 'src', 'main.ts')], {
        cwd: repoRoot,
        stdio: ['ignore', out, out],
        env: {
          ...process.env,
          ...infra,
          MERIDIAN_NAMESPACE: ns,
          SERVICE_NAME: service,
          HOST: '127.0.0.1',
          PORT: '0',
          STAFF_EMAIL: staff.email,
          STAFF_PASSWORD: staff.password,
          LOG_LEVEL: 'info',
          ...options.env,
          ...extra,
        },
      });
      running.push({ service, child });
    };
    for (const service of backends) {
      for (let i = 0; i < options.instances[service]; i++) launch(service, i, { DATABASE_URL: databaseUrls[service] });
    }
    launch('gateway', 0, { GATEWAY_PORT: '0', GATEWAY_EXPECTED_SERVICES: backends.join(',') });
    log(`namespace ${ns}: started ${running.length} processes, waiting for the gateway`);
    const gatewayUrl = await waitForGateway(infra, ns, running, options.readyTimeoutMs ?? 120_000);
    await waitForInstances(infra, ns, options.instances, options.readyTimeoutMs ?? 120_000);
    return {
      ns,
      gatewayUrl,
      processes: () => running.map((i) => ({ service: i.service, pid: i.child.pid! })),
      cpuSeconds: (services) =>
        running.filter((i) => !services || services.includes(i.service)).reduce((sum, i) => sum + cpuSecondsOf(i.child.pid!), 0),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

interface DiscoveryRecord {
  service: string;
  url: string;
  health: string;
}

async function discoveryRecords(infra: InfraEnv, ns: string): Promise<DiscoveryRecord[]> {
  const prefix = `/meridian/${ns}/services/`;
  const b64 = (value: string) => Buffer.from(value).toString('base64');
  const rangeEnd = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  const endpoint = infra.ETCD_ENDPOINTS.split(',')[0].trim();
  const response = await fetch(`${endpoint}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: b64(prefix), range_end: b64(rangeEnd) }),
    signal: AbortSignal.timeout(2000),
  });
  const { kvs = [] } = (await response.json()) as { kvs?: { value: string }[] };
  return kvs.map(({ value }) => JSON.parse(Buffer.from(value, 'base64').toString()) as DiscoveryRecord);
}

async function waitForGateway(infra: InfraEnv, ns: string, running: Instance[], timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let lastStatus = 'gateway not registered';
  while (Date.now() < deadline) {
    const dead = running.find((i) => i.child.exitCode !== null);
    if (dead) throw new Error(`${dead.service} exited with ${dead.child.exitCode} during startup (logs: bench/results/tmp/${ns}.*.log)`);
    try {
      const gateway = (await discoveryRecords(infra, ns)).find((r) => r.service === 'gateway');
      if (gateway) {
        const response = await fetch(`${gateway.url}/healthz`, { signal: AbortSignal.timeout(2000) });
        lastStatus = `gateway /healthz ${response.status}: ${(await response.text()).slice(0, 300)}`;
        if (response.status === 200) return gateway.url;
      }
    } catch (err) {
      lastStatus = (err as Error).message;
    }
    await sleep(500);
  }
  throw new Error(`platform ${ns} not ready after ${timeoutMs} ms (${lastStatus})`);
}

/** The gateway is healthy with one ready instance per service; scale-out needs all of them ready. */
async function waitForInstances(infra: InfraEnv, ns: string, instances: Record<string, number>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = await discoveryRecords(infra, ns);
    const short = Object.entries(instances).filter(
      ([service, count]) => records.filter((r) => r.service === service && r.health === 'ready').length < count,
    );
    if (short.length === 0) return;
    if (Date.now() > deadline) throw new Error(`instances not ready: ${short.map(([s]) => s).join(', ')}`);
    await sleep(500);
  }
}

/** Drops the namespace's databases and roles, Kafka topics and Redis keys (etcd keys go with their leases). */
export async function cleanNamespace(infra: InfraEnv, ns: string): Promise<void> {
  await dropNamespace(infra.PG_ADMIN_URL, ns);
  await deleteNamespaceTopics(ns);
  const kafka = kafkaConnection(infra.KAFKA_BROKERS, infra);
  if (kafka.sasl) await dropKafkaUsers(kafka, ns);
  const redis = new Redis(infra.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${ns}:*`, 'COUNT', 500);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** JSON request against the platform; throws with the problem detail on an unexpected status. */
export async function api<T>(
  url: string,
  init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string>; expect?: number[] } = {},
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  const body = (text ? JSON.parse(text) : undefined) as T;
  if (!(init.expect ?? [200, 201, 202]).includes(response.status)) {
    throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${text.slice(0, 300)}`);
  }
  return { status: response.status, body };
}

export async function login(gatewayUrl: string, credentials: { email: string; password: string }): Promise<string> {
  const { body } = await api<{ accessToken: string }>(`${gatewayUrl}/api/v1/auth/login`, { method: 'POST', body: credentials });
  return body.accessToken;
}

/** Creates `count` products (with `stock` units available when given, which needs inventory); returns their ids. */
export async function seedProducts(gatewayUrl: string, staffToken: string, count: number, stock?: number): Promise<string[]> {
  const ids: string[] = [];
  const run = randomBytes(3).toString('hex');
  for (let i = 0; i < count; i++) {
    const { body } = await api<{ id: string }>(`${gatewayUrl}/api/v1/products`, {
      method: 'POST',
      token: staffToken,
      body: { sku: `BENCH-${run}-${i}`, name: `Bench product ${i}`, description: 'A product for the benchmarks', category: 'bench', priceCents: 1000 + i },
    });
    if (stock !== undefined) {
      await api(`${gatewayUrl}/api/v1/inventory/${body.id}`, { method: 'PUT', token: staffToken, body: { available: stock } });
    }
    ids.push(body.id);
  }
  return ids;
}
