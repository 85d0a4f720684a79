/**
 * PostgreSQL over loopback TCP vs the server's Unix socket, as the services open it (`@meridian/db`):
 * the same short transaction (begin, a row locked, an insert, an update, commit) in interleaved rounds
 * on one connection each, with the CPU of this process (the client) and of each connection's server
 * backend (from /proc) per transaction. Then, the same way, a step that emits three events (inventory's
 * reservation: StockReserved and two StockLevelChanged) written as three outbox inserts vs one
 * (`writeEvents`). Last, an event's inbox row in a table that already holds many (as after days of
 * traffic), with random (v4) against time-ordered (v7) event ids: CPU, and the WAL written per
 * transaction in the first minutes after a checkpoint (`pg_stat_wal`).
 */
import { randomUUID } from 'node:crypto';
import { v7 as timeOrderedUuid } from 'uuid';
import { StockLevelChanged, StockReserved } from '@meridian/contracts';
import { createDb, type Sql, type TransactionSql, unixSocketDir, viaSocket } from '@meridian/db';
import { createOutbox, messagingMigrationSql, writeEvents } from '@meridian/messaging';
import { createTempDatabase } from '@meridian/testkit';
import { infraEnv } from './lib/infra.ts';
import { cpuSecondsOf, machine, ownCpuSeconds } from './lib/proc.ts';
import { type BenchResult, type Row, withTargets } from './lib/report.ts';
import { round } from './lib/stats.ts';
import type { BenchOptions } from './options.ts';

interface Variant {
  name: string;
  sql: Sql;
  step: (tx: TransactionSql, i: number) => Promise<unknown>;
  backendPid: number;
  transactions: number;
  seconds: number;
  clientCpu: number;
  serverCpu: number;
  /** Runs before each round, outside its measurement (a checkpoint, so every round starts a WAL cycle alike). */
  beforeRound?: () => Promise<void>;
  /** The server's WAL counters (`pg_stat_wal`), read around each round when given. */
  wal?: () => Promise<{ bytes: number; fullPages: number }>;
  walBytes?: number;
  walFullPages?: number;
}

async function rowStep(tx: TransactionSql, i: number): Promise<void> {
  const id = 1 + (i % 100);
  await tx`select n from bench_rows where id = ${id} for update`;
  await tx`insert into bench_log (row_id, body) values (${id}, ${tx.json({ i, note: 'x'.repeat(200) })})`;
  await tx`update bench_rows set n = n + 1 where id = ${id}`;
}

const outbox = createOutbox({ source: 'inventory', ns: 'bench' });
/** Inventory's reservation of a two-line order: StockReserved and one StockLevelChanged per line. */
function reservationEvents() {
  const orderId = randomUUID();
  const items = [{ productId: randomUUID(), quantity: 1 }, { productId: randomUUID(), quantity: 2 }];
  return [
    outbox.prepare(StockReserved.v1, orderId, { orderId, items, expiresAt: new Date(Date.now() + 900_000).toISOString() }),
    ...items.map((item) => outbox.prepare(StockLevelChanged.v1, item.productId, { productId: item.productId, available: 100, reserved: item.quantity })),
  ];
}
const eventsOneInsertEach = (tx: TransactionSql) => Promise.all(reservationEvents().map((event) => event.write(tx)));
const eventsOneInsert = (tx: TransactionSql) => writeEvents(tx, reservationEvents());

/** Rounds of `variants` alternating which goes first, after a warm-up (prepared statements, JIT). */
async function interleave(variants: Variant[], settings: { rounds: number; transactionsPerRound: number }, log: (line: string) => void) {
  for (const variant of variants) await oneRound(variant, 200);
  for (const variant of variants) Object.assign(variant, { transactions: 0, seconds: 0, clientCpu: 0, serverCpu: 0, walBytes: 0, walFullPages: 0 });
  for (let round_ = 1; round_ <= settings.rounds; round_++) {
    for (const variant of round_ % 2 ? variants : [...variants].reverse()) {
      await oneRound(variant, settings.transactionsPerRound);
      log(`round ${round_} ${variant.name}: ${Math.round(variant.transactions / variant.seconds)} tx/s so far`);
    }
  }
}

function rowOf(variant: Variant, what: string, kind: Row['kind']): Row {
  const us = (seconds: number) => round((seconds / variant.transactions) * 1e6, 1);
  return {
    variant: `${variant.name}: ${what}`,
    kind,
    throughput: variant.transactions / variant.seconds,
    unit: 'tx/s',
    cpuSeconds: round(variant.clientCpu + variant.serverCpu, 3),
    perCpuSecond: variant.transactions / (variant.clientCpu + variant.serverCpu),
    details: {
      clientCpuUsPerTx: us(variant.clientCpu),
      serverCpuUsPerTx: us(variant.serverCpu),
      wallUsPerTx: us(variant.seconds),
      ...(variant.wal
        ? { walBytesPerTx: round(variant.walBytes! / variant.transactions, 0), walFullPageImagesPerTx: round(variant.walFullPages! / variant.transactions, 3) }
        : {}),
    },
  };
}

async function oneRound(variant: Variant, transactions: number): Promise<void> {
  await variant.beforeRound?.();
  const walBefore = await variant.wal?.();
  const startedAt = performance.now();
  const client = ownCpuSeconds();
  const server = cpuSecondsOf(variant.backendPid);
  for (let i = 0; i < transactions; i++) {
    await variant.sql.begin((tx) => variant.step(tx, i));
  }
  variant.seconds += (performance.now() - startedAt) / 1000;
  variant.clientCpu += ownCpuSeconds() - client;
  variant.serverCpu += cpuSecondsOf(variant.backendPid) - server;
  variant.transactions += transactions;
  const walAfter = await variant.wal?.();
  if (walBefore && walAfter) {
    variant.walBytes = (variant.walBytes ?? 0) + walAfter.bytes - walBefore.bytes;
    variant.walFullPages = (variant.walFullPages ?? 0) + walAfter.fullPages - walBefore.fullPages;
  }
}

export async function runDbBench({ quick, log }: BenchOptions): Promise<BenchResult> {
  const before = machine();
  const settings = { rounds: quick ? 2 : 6, transactionsPerRound: quick ? 1000 : 3000, inboxRows: quick ? 100_000 : 2_000_000 };
  const notes: string[] = [];
  const rows: Row[] = [];
  const db = await createTempDatabase('bench_db', infraEnv().PG_ADMIN_URL);
  const setup = createDb(db.url, { max: 1 });
  try {
    await setup`create table bench_rows (id int primary key, n int not null)`;
    await setup`create table bench_log (id bigserial primary key, row_id int not null, body jsonb not null)`;
    await setup`insert into bench_rows select g, 0 from generate_series(1, 100) g`;
    const socketDir = await unixSocketDir(setup);
    const urls: [string, string][] = [['loopback TCP', db.url]];
    if (socketDir) {
      urls.push(['Unix socket', viaSocket(db.url, socketDir)]);
    } else {
      notes.push('the server has no Unix socket on this machine: TCP only');
    }
    const variants: Variant[] = [];
    for (const [name, url] of urls) {
      const sql = createDb(url, { max: 1 });
      const [{ pid }] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
      variants.push({ name, sql, step: rowStep, backendPid: pid, transactions: 0, seconds: 0, clientCpu: 0, serverCpu: 0 });
    }
    await interleave(variants, settings, log);
    for (const variant of variants) rows.push(rowOf(variant, 'begin, select for update, insert, update, commit', variant.name === 'loopback TCP' ? 'baseline' : 'platform'));

    // The services' connection (the socket when there is one): a step's three events, three inserts vs one.
    await setup.unsafe(messagingMigrationSql);
    const eventVariants: Variant[] = [];
    for (const [name, step] of [['3 outbox inserts', eventsOneInsertEach], ['1 outbox insert (writeEvents)', eventsOneInsert]] as const) {
      const sql = createDb(urls.at(-1)![1], { max: 1 });
      const [{ pid }] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
      eventVariants.push({ name, sql, step, backendPid: pid, transactions: 0, seconds: 0, clientCpu: 0, serverCpu: 0 });
    }
    await interleave(eventVariants, settings, log);
    for (const variant of eventVariants) rows.push(rowOf(variant, 'begin, StockReserved + 2 StockLevelChanged, commit', variant === eventVariants[0] ? 'baseline' : 'platform'));

    // An event's inbox row in a table of `inboxRows` (days of traffic), random against time-ordered ids.
    const inboxVariants = await inboxIdVariants(setup, urls.at(-1)![1], settings.inboxRows, notes, log);
    await interleave(inboxVariants, settings, log);
    for (const variant of inboxVariants) {
      rows.push(rowOf(variant, `begin, an inbox row among ${settings.inboxRows.toLocaleString('en')}, commit`, variant === inboxVariants[0] ? 'baseline' : 'platform'));
    }
    for (const variant of [...variants, ...eventVariants, ...inboxVariants]) await variant.sql.end();
  } finally {
    await setup.end();
    await db.drop();
  }
  const find = (prefix: string) => rows.find((row) => row.variant.startsWith(prefix));
  const [tcp, socket] = [find('loopback TCP:'), find('Unix socket:')];
  const [eachInsert, oneInsert] = [find('3 outbox inserts:'), find('1 outbox insert')];
  const [randomIds, timeOrderedIds] = [find('random event ids (v4):'), find('time-ordered event ids (v7):')];
  const walPerTx = (row: Row | undefined) => (row?.details?.walBytesPerTx as number | undefined) ?? Number.NaN;
  const cpuPerTx = (row: Row | undefined) => (row ? 1 / row.perCpuSecond! : Number.NaN);
  notes.push('CPU per transaction = (this process + the connection\'s server backend, from /proc) / transactions; rounds alternate which variant goes first');
  return {
    name: 'db',
    description: "one PostgreSQL transaction over loopback TCP vs the Unix socket, a step's three events as three outbox inserts vs one, and an inbox row among millions with random vs time-ordered event ids; client and server CPU, WAL",
    quick,
    settings,
    rows,
    targets: withTargets([
      { name: 'Unix socket CPU per transaction / TCP (client + server)', value: socket ? cpuPerTx(socket) / cpuPerTx(tcp) : null, below: 1 },
      { name: "a step's 3 events: CPU of 1 outbox insert / 3 inserts (client + server)", value: oneInsert ? cpuPerTx(oneInsert) / cpuPerTx(eachInsert) : null, below: 1 },
      { name: `an inbox row among ${settings.inboxRows.toLocaleString('en')}: WAL bytes with time-ordered / random event ids`, value: timeOrderedIds ? walPerTx(timeOrderedIds) / walPerTx(randomIds) : null, below: 1 },
    ]),
    notes,
    machine: { before, after: machine() },
  };
}

/**
 * Two inbox tables (`processed_messages` as the chassis creates it) of `rows` rows each, one filled with
 * random ids and one with time-ordered ids older than now, and a variant inserting into each with new ids
 * of its kind. Each round starts after a checkpoint: the first change of a page after one writes the whole
 * page to the WAL, which random ids do on nearly every insert into a large index.
 */
async function inboxIdVariants(setup: Sql, url: string, rows: number, notes: string[], log: (line: string) => void): Promise<Variant[]> {
  const started = performance.now();
  const tables = { random: 'inbox_random_ids', timeOrdered: 'inbox_time_ordered_ids' };
  for (const table of Object.values(tables)) {
    await setup.unsafe(`create table ${table} (consumer text not null, message_id uuid not null, processed_at timestamptz not null default now(), primary key (consumer, message_id))`);
  }
  await setup.unsafe(`insert into ${tables.random} (consumer, message_id) select 'bench.inbox', gen_random_uuid() from generate_series(1, ${rows})`);
  // Version 7 layout: 48 bits of milliseconds (one per row, ending before now), the version, the variant, random bits.
  await setup.unsafe(`
    insert into ${tables.timeOrdered} (consumer, message_id)
    select 'bench.inbox', (lpad(to_hex((extract(epoch from now()) * 1000)::bigint - ${rows} + n), 12, '0')
      || '7' || substr(md5(n::text), 1, 3) || '8' || substr(md5(n::text), 4, 15))::uuid
    from generate_series(1, ${rows}) n`);
  await setup`vacuum analyze`;
  log(`filled two inbox tables with ${rows.toLocaleString('en')} rows each in ${Math.round((performance.now() - started) / 1000)} s`);
  let checkpoints = true;
  const beforeRound = async () => {
    if (!checkpoints) return;
    await setup`checkpoint`.catch(() => {
      checkpoints = false;
      notes.push('the benchmark\'s role may not run CHECKPOINT: the inbox rounds measure the WAL wherever the server\'s checkpoint cycle was');
    });
  };
  const wal = async () => {
    const [row] = await setup<{ bytes: string; fullPages: string }[]>`select wal_bytes::text as bytes, wal_fpi::text as "fullPages" from pg_stat_wal`;
    return { bytes: Number(row!.bytes), fullPages: Number(row!.fullPages) };
  };
  notes.push('inbox rows: WAL per transaction is the server\'s pg_stat_wal over the round (the whole server: nothing else should write meanwhile), each round right after a checkpoint');
  const variants: Variant[] = [];
  for (const [name, table, newId] of [
    ['random event ids (v4)', tables.random, randomUUID],
    ['time-ordered event ids (v7)', tables.timeOrdered, () => timeOrderedUuid()],
  ] as const) {
    const sql = createDb(url, { max: 1 });
    const [{ pid }] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
    const step = (tx: TransactionSql) => tx`insert into ${tx(table)} (consumer, message_id) values ('bench.inbox', ${newId()})`;
    variants.push({ name, sql, step, backendPid: pid, transactions: 0, seconds: 0, clientCpu: 0, serverCpu: 0, beforeRound, wal });
  }
  return variants;
}
