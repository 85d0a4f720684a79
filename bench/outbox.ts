/**
 * Outbox: pgbench with one insert per transaction (PostgreSQL's write ceiling on this machine) vs the
 * platform's command transaction (business row + outbox event) with the relay publishing to Kafka,
 * at the same number of concurrent clients for the same time.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createOutbox, createOutboxRelay, physicalTopic } from '@meridian/messaging';
import { brokerList, infraEnv } from './lib/infra.ts';
import { benchOrderPlaced, createBenchDb, createTopics, deleteNamespaceTopics, quietLogger, sampleOrderPlaced, until, type BenchDb } from './lib/messaging.ts';
import { machine, ownCpuSeconds, runCommand } from './lib/proc.ts';
import { scratchDir, scratchFile } from './lib/paths.ts';
import { type BenchResult, type Row, withTargets } from './lib/report.ts';
import { perSecond, ratio, summarize } from './lib/stats.ts';
import type { BenchOptions } from './options.ts';

const logicalTopic = 'outbox-bench';

export async function runOutboxBench({ quick, log }: BenchOptions): Promise<BenchResult> {
  const before = machine();
  const settings = { clients: 8, seconds: quick ? 4 : 15, rounds: quick ? 1 : 2 };
  const ns = `bench_${randomBytes(4).toString('hex')}`;
  const payload = JSON.stringify(sampleOrderPlaced());
  let db: BenchDb | undefined;
  try {
    await createTopics(ns, [logicalTopic]);
    db = await createBenchDb(settings.clients + 4);
    const pg: Measured[] = [];
    const platform: Measured[] = [];
    for (let round = 1; round <= settings.rounds; round++) {
      pg.push(await pgbench(db, payload, settings.clients, settings.seconds, log));
      platform.push(await commands(db, ns, settings.clients, settings.seconds, log));
    }
    const pgRow = toRow('pgbench: 1 insert / tx', 'ceiling', pg);
    const platformRow = toRow('command tx (row + outbox) -> relay -> Kafka', 'platform', platform);
    const publishedRate = platform.reduce((sum, m) => sum + m.count, 0) / platform.reduce((sum, m) => sum + (m.publishedMs ?? 0) / 1000, 0);
    return {
      name: 'outbox',
      description: 'pgbench single-insert transactions vs command -> outbox -> Kafka',
      quick,
      machine: { before, after: machine() },
      settings: { ...settings, payloadBytes: payload.length, namespace: ns },
      rows: [pgRow, platformRow, { variant: 'outbox events published to Kafka', kind: 'platform', throughput: publishedRate, unit: 'msg/s', details: { timedFrom: 'first command until the relay published the last event' } }],
      targets: withTargets([
        { name: 'committed commands / pgbench tps', value: ratio(platformRow.throughput, pgRow.throughput) },
        { name: 'published to Kafka / pgbench tps', value: ratio(publishedRate, pgRow.throughput) },
      ]),
      notes: [
        `${settings.clients} concurrent clients each; pgbench: one INSERT of the same ${payload.length}-byte JSON payload per transaction, run as a child process`,
        'platform: one transaction per command = INSERT bench_orders + outbox.add (contract validation, envelope, INSERT outbox, NOTIFY trigger), closed loop in this Node process, with the relay publishing concurrently',
        'CPU s: client (pgbench or this Node process) + the PostgreSQL backends of the scratch database (sampled every 200 ms); the Kafka broker and the WAL writer are not counted',
      ],
    };
  } finally {
    await db?.drop();
    await deleteNamespaceTopics(ns).catch((err: Error) => log(`topic cleanup failed: ${err.message}`));
  }
}

interface Measured {
  count: number;
  ms: number;
  latenciesMs: number[];
  cpuSeconds: number;
  /** Time until every event of the run was on Kafka (platform only). */
  publishedMs?: number;
}

function toRow(variant: string, kind: Row['kind'], runs: Measured[]): Row {
  const count = runs.reduce((sum, m) => sum + m.count, 0);
  const ms = runs.reduce((sum, m) => sum + m.ms, 0);
  const cpuSeconds = runs.reduce((sum, m) => sum + m.cpuSeconds, 0);
  const summary = summarize(runs.flatMap((m) => m.latenciesMs));
  return {
    variant,
    kind,
    throughput: perSecond(count, ms),
    unit: 'tx/s',
    p50Ms: summary.p50,
    p99Ms: summary.p99,
    cpuSeconds,
    perCpuSecond: count / cpuSeconds,
    details: { rounds: runs.map((m) => Math.round(perSecond(m.count, m.ms))), transactions: count },
  };
}

/** pgbench, one INSERT per transaction; latencies from its per-transaction log. */
async function pgbench(db: BenchDb, payload: string, clients: number, seconds: number, log: (line: string) => void): Promise<Measured> {
  const script = scratchFile(`pgbench-${db.name}.sql`);
  writeFileSync(script, `insert into bench_orders (id, payload) values (gen_random_uuid(), '${payload.replaceAll("'", "''")}'::jsonb);\n`);
  const url = new URL(infraEnv().PG_ADMIN_URL);
  url.pathname = `/${db.name}`;
  const logPrefix = join(scratchDir, `pgbench-${db.name}`);
  const tracker = db.trackBackendCpu();
  const result = await runCommand(
    'pgbench',
    ['-n', '-f', script, '-c', String(clients), '-j', '2', '-T', String(seconds), '-l', `--log-prefix=${logPrefix}`, url.toString()],
    { timeoutMs: (seconds + 60) * 1000, cwd: scratchDir },
  );
  const backendCpu = await tracker.stop();
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(result.stdout);
  const processed = /number of transactions actually processed: (\d+)/.exec(result.stdout);
  if (result.code !== 0 || !tps || !processed) throw new Error(`pgbench failed: ${result.stderr.slice(-500) || result.stdout.slice(-500)}`);
  // log lines: client_id transaction_no time_us script_no time_epoch time_us
  const latenciesMs: number[] = [];
  for (const file of readdirSync(scratchDir).filter((name) => name.startsWith(`pgbench-${db.name}.`) && !name.endsWith('.sql'))) {
    const path = join(scratchDir, file);
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      const micros = Number(line.split(' ')[2]);
      if (line && Number.isFinite(micros)) latenciesMs.push(micros / 1000);
    }
    rmSync(path);
  }
  rmSync(script);
  const count = Number(processed[1]);
  log(`pgbench: ${tps[1]} tps`);
  return { count, ms: (count / Number(tps[1])) * 1000, latenciesMs, cpuSeconds: result.cpuSeconds + backendCpu };
}

/** `clients` closed loops of command transactions for `seconds`, the relay publishing meanwhile. */
async function commands(db: BenchDb, ns: string, clients: number, seconds: number, log: (line: string) => void): Promise<Measured> {
  const { sql } = db;
  const outbox = createOutbox({ source: 'bench', ns });
  const relay = createOutboxRelay({ sql, brokers: brokerList(), ns, logger: quietLogger });
  await relay.start();
  await until(() => relay.active, 30_000, 'the relay to become active', 20);
  const topic = physicalTopic(ns, logicalTopic);
  const [{ seq: firstSeq }] = await sql`select coalesce(max(seq), 0) as seq from outbox`;
  const latenciesMs: number[] = [];
  const tracker = db.trackBackendCpu();
  const cpuBefore = ownCpuSeconds();
  const startedAt = performance.now();
  const deadline = startedAt + seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const begun = performance.now();
      const data = sampleOrderPlaced(randomUUID());
      await sql.begin(async (tx) => {
        await tx`insert into bench_orders (id, payload) values (${data.orderId}, ${tx.json(data)})`;
        await outbox.add(tx, benchOrderPlaced(logicalTopic), data.orderId, data);
      });
      latenciesMs.push(performance.now() - begun);
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  const ms = performance.now() - startedAt;
  await until(
    async () => (await sql`select count(*)::int as n from outbox where seq > ${firstSeq} and topic = ${topic} and published_at is null`)[0].n === 0,
    300_000,
    'the relay to publish every event',
    20,
  );
  const publishedMs = performance.now() - startedAt;
  const cpuSeconds = ownCpuSeconds() - cpuBefore + (await tracker.stop());
  await relay.stop();
  log(`commands: ${Math.round(perSecond(latenciesMs.length, ms))} tx/s, all published after ${Math.round(publishedMs)} ms`);
  return { count: latenciesMs.length, ms, latenciesMs, cpuSeconds, publishedMs };
}
