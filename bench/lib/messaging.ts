/** What the Kafka and outbox benchmarks share: a scratch database with the chassis tables, a sample event, topics. */
import { randomUUID } from 'node:crypto';
import { Admin } from '@platformatic/kafka';
import postgres from 'postgres';
import { createDb, type Sql } from '@meridian/db';
import { OrderPlacedV2 } from '@meridian/contracts';
import { defineTopic, ensureTopics, event, messagingMigrationSql, topic, type Logger } from '@meridian/messaging';
import { createTempDatabase } from '@meridian/testkit';
import { cpuSecondsOf } from './proc.ts';
import { benchKafka, infraEnv } from './infra.ts';

export const quietLogger: Logger = {
  debug() {},
  info() {},
  warn(obj, msg) {
    console.warn(`  [warn] ${msg ?? ''} ${JSON.stringify(obj)}`);
  },
  error(obj, msg) {
    console.error(`  [error] ${msg ?? ''} ${JSON.stringify(obj, Object.getOwnPropertyNames(obj))}`);
  },
};

/** A realistic `OrderPlaced` v2 payload (two lines), valid against the contract. */
export function sampleOrderPlaced(orderId: string = randomUUID()) {
  return {
    orderId,
    customerId: '6f1c2b8e-1d2a-4c3b-9e4f-5a6b7c8d9e0f',
    customerEmail: 'customer@bench.local',
    items: [
      { productId: '0b8f5a2e-3c4d-4e5f-8a9b-0c1d2e3f4a5b', sku: 'BENCH-1', name: 'Bench product 1', quantity: 2, unitPriceCents: 1250 },
      { productId: '1c9a6b3f-4d5e-4f6a-9b0c-1d2e3f4a5b6c', sku: 'BENCH-2', name: 'Bench product 2', quantity: 1, unitPriceCents: 4999 },
    ],
    totalCents: 7499,
    currency: 'EUR',
    paymentToken: 'tok_visa',
    placedAt: new Date().toISOString(),
  };
}

export interface BenchDb {
  name: string;
  sql: Sql;
  /** CPU seconds used so far by the PostgreSQL backends connected to this database. */
  backendCpuSeconds(): Promise<number>;
  /**
   * Samples the backends every `intervalMs` until `stop()`, which returns the CPU seconds they used
   * meanwhile, including backends that came and went (their last sample counts).
   */
  trackBackendCpu(intervalMs?: number): { stop(): Promise<number> };
  drop(): Promise<void>;
}

/** A temporary database holding the chassis tables (outbox, processed_messages) and `bench_orders`. */
export async function createBenchDb(max = 10): Promise<BenchDb> {
  const { PG_ADMIN_URL } = infraEnv();
  const db = await createTempDatabase('bench', PG_ADMIN_URL);
  const sql = createDb(db.url, { max, applicationName: 'bench' });
  const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(messagingMigrationSql);
    await sql`create table bench_orders (id uuid primary key, payload jsonb not null, created_at timestamptz not null default now())`;
  } catch (err) {
    await sql.end();
    await admin.end();
    await db.drop();
    throw err;
  }
  const backendCpu = async () => {
    const rows = await admin<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${db.name}`;
    return new Map(rows.map(({ pid }) => [pid, cpuSecondsOf(pid)]));
  };
  return {
    name: db.name,
    sql,
    async backendCpuSeconds() {
      return [...(await backendCpu()).values()].reduce((a, b) => a + b, 0);
    },
    trackBackendCpu(intervalMs = 200) {
      const baseline = new Map<number, number>(); // backends alive at the start count from their CPU then
      const last = new Map<number, number>();
      const sample = async () => {
        for (const [pid, cpu] of await backendCpu()) last.set(pid, Math.max(cpu, last.get(pid) ?? 0)); // 0 once it exited
      };
      const initial = backendCpu().then((cpus) => {
        for (const [pid, cpu] of cpus) baseline.set(pid, cpu);
      });
      const timer = setInterval(() => void sample().catch(() => {}), intervalMs);
      return {
        async stop() {
          await initial;
          clearInterval(timer);
          await sample();
          let total = 0;
          for (const [pid, cpu] of last) total += cpu - (baseline.get(pid) ?? 0);
          return total;
        },
      };
    },
    async drop() {
      await sql.end({ timeout: 5 });
      await admin.end();
      await db.drop();
    },
  };
}

/** Creates the logical topics (3 partitions each, plus their DLQs) in `ns`. */
export async function createTopics(ns: string, names: string[]): Promise<void> {
  await ensureTopics({ brokers: infraEnv().KAFKA_BROKERS, ns, topics: names.map((name) => defineTopic({ name, partitions: 3 })) });
}

export async function deleteNamespaceTopics(ns: string): Promise<void> {
  const admin = new Admin({ clientId: `${ns}.bench-cleanup`, ...benchKafka() });
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(`${ns}.`));
    if (topics.length) await admin.deleteTopics({ topics });
  } finally {
    await admin.close();
  }
}

/** Resolves once `condition()` holds (checked every `intervalMs`); rejects after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string, intervalMs = 5): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Open loop: calls `fire(i)` at `ratePerSecond` on a fixed schedule for `seconds` (never waiting for
 * earlier calls to finish); resolves when every call settled. Returns the calls that threw.
 */
export async function openLoop(ratePerSecond: number, seconds: number, fire: (i: number) => Promise<unknown>): Promise<unknown[]> {
  const total = Math.round(ratePerSecond * seconds);
  const interval = 1000 / ratePerSecond;
  const start = performance.now();
  const pending: Promise<unknown>[] = [];
  const failures: unknown[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(fire(i).catch((err: unknown) => failures.push(err)));
  }
  await Promise.all(pending);
  return failures;
}

/** OrderPlaced v2 on a benchmark's own topic, so a run never mixes with the platform's orders. */
export function benchOrderPlaced(logicalTopic: string) {
  return event({ topic: topic({ name: logicalTopic, owner: 'bench' }), type: 'OrderPlaced', versions: { 2: OrderPlacedV2 } }).v2;
}
