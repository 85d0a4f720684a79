import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka';
import type postgres from 'postgres';
import type { Registry } from 'prom-client';
import type { EventVersion } from './descriptors.ts';
import { assertEventData, createEnvelope, type EventEnvelope } from './envelope.ts';
import { backoffDelay, counter, errorMessage, gauge, globalRegister, type Logger, sleep } from './support.ts';
import { physicalTopic } from './topics.ts';
import { asVersion, type VersionGate } from './versionGate.ts';
import { kafkaConnection, type KafkaBrokers } from '@meridian/config';

const tracer = trace.getTracer('@meridian/messaging');
const migrationsDir = fileURLToPath(new URL('../migrations/', import.meta.url));

/**
 * The chassis tables (outbox with its notify trigger, processed_messages) as a migration source for
 * `@meridian/db`'s `migrate`, applied before a service's own migrations. Services used to copy the
 * file as `001_messaging.sql`; a database that ran that copy adopts this one without running it.
 */
export const messagingMigrations = {
  dir: migrationsDir,
  scope: 'messaging',
  adopts: { '001_outbox_inbox.sql': '001_messaging.sql' } as Record<string, string>,
};

/** The SQL of the chassis tables (every migration, in order), for tests and benchmarks that set up a bare database. */
export const messagingMigrationSql = readdirSync(migrationsDir)
  .filter((name) => /^\d+_[\w.-]+\.sql$/.test(name)) // what `@meridian/db`'s migrate applies (`isMigrationFile`)
  .sort()
  .map((name) => readFileSync(join(migrationsDir, name), 'utf8'))
  .join('\n');

export interface Outbox {
  /**
   * Validates `data` against the version's schema and inserts the event in the caller's transaction;
   * returns the envelope. `outbox.add(tx, OrderPlaced.v2, orderId, data)`: the compiler checks `data`.
   */
  add<TData>(
    tx: postgres.TransactionSql,
    event: EventVersion<TData>,
    key: string,
    data: NoInfer<TData>,
    options?: { traceparent?: string },
  ): Promise<EventEnvelope<TData>>;
  /**
   * `add` in two steps: the envelope now (validated, at the version the running consumers read), the
   * insert when `write(tx)` is called. A caller that has more statements to send in the same
   * transaction sends them with the insert, in one round trip: `await Promise.all([event.write(tx), ...])`.
   */
  prepare<TData>(event: EventVersion<TData>, key: string, data: NoInfer<TData>, options?: { traceparent?: string }): PreparedEvent<TData>;
}

/** An event ready for the outbox: its envelope as it will be sent, and the insert that stores it. */
export interface PreparedEvent<TData> {
  envelope: EventEnvelope<TData>;
  /** The outbox row's values, for `writeEvents`. */
  row: OutboxRow;
  /** Inserts this event alone; `writeEvents(tx, events)` inserts several in one statement. */
  write(tx: postgres.TransactionSql): Promise<void>;
  /** Runs once the row is written (wrappers count emitted events here). */
  afterWrite?(): void;
}

/** One outbox row as inserted. */
export interface OutboxRow {
  id: string;
  topic: string;
  key: string;
  type: string;
  version: number;
  /** The envelope as sent. */
  payload: EventEnvelope<unknown>;
  /** The Kafka headers. */
  headers: Record<string, string>;
}

/**
 * Inserts the events in one statement, in order: a step that emits several events (a reservation and
 * the stock levels it changed) pays for one insert instead of one per event.
 */
export async function writeEvents(tx: postgres.TransactionSql, events: readonly PreparedEvent<unknown>[]): Promise<void> {
  if (events.length === 0) return;
  // The envelope goes as text: a string parameter typed jsonb would be JSON-encoded a second time.
  const values = events.map(({ row }, i) => tx`${i > 0 ? tx`, ` : tx``}(${row.id}, ${row.topic}, ${row.key}, ${row.type}, ${row.version}, ${JSON.stringify(row.payload)}::text::jsonb, ${JSON.stringify(row.headers)}::text::jsonb)`);
  await tx`insert into outbox (id, topic, key, type, version, payload, headers) values ${values}`;
  for (const event of events) event.afterWrite?.();
}

/**
 * `versionGate`: emit the newest version of an event that every running consumer reads (an older one,
 * with the fields added since dropped, while a consumer that does not read the asked-for one runs).
 */
export function createOutbox(options: { source: string; ns: string; versionGate?: VersionGate }): Outbox {
  function prepare<TData>(asked: EventVersion<TData>, key: string, askedData: TData, { traceparent }: { traceparent?: string } = {}): PreparedEvent<TData> {
    assertEventData(asked, askedData);
    let event: EventVersion = asked as EventVersion;
    let data: unknown = askedData;
    const version = options.versionGate?.choose(asked as EventVersion).version ?? asked.version;
    if (version !== asked.version) {
      const older = asVersion(asked as EventVersion, version, askedData);
      if (older) ({ event, data } = older);
    }
    const envelope = createEnvelope({
      type: event.type,
      version: event.version,
      source: options.source,
      key,
      data,
      traceparent: traceparent ?? activeTraceparent(),
    });
    const headers: Record<string, string> = {
      'event-id': envelope.id,
      'event-type': envelope.type,
      'event-version': String(envelope.version),
    };
    if (envelope.traceparent) headers.traceparent = envelope.traceparent;
    const row: OutboxRow = {
      id: envelope.id,
      topic: physicalTopic(options.ns, event.topic.name),
      key: envelope.key,
      type: envelope.type,
      version: envelope.version,
      payload: envelope,
      headers,
    };
    return preparedEvent(envelope as EventEnvelope<TData>, row);
  }
  return outboxOf(prepare);
}

/** A prepared event whose `write` inserts it alone, then runs `afterWrite`. */
export function preparedEvent<TData>(envelope: EventEnvelope<TData>, row: OutboxRow, afterWrite?: () => void): PreparedEvent<TData> {
  const prepared: PreparedEvent<TData> = { envelope, row, afterWrite, write: (tx) => writeEvents(tx, [prepared]) };
  return prepared;
}

/** The outbox whose `add` is `prepare` then `write`: wrappers (checks, counts) only need a `prepare`. */
export function outboxOf(prepare: Outbox['prepare']): Outbox {
  return {
    async add(tx, event, key, data, options) {
      const prepared = prepare(event, key, data, options);
      await prepared.write(tx);
      return prepared.envelope;
    },
    prepare,
  };
}

function activeTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

export interface OutboxStats {
  backlog: number;
  oldestUnpublishedAgeSeconds: number;
  /** Unpublished events whose publication already failed at least once. */
  failing: number;
}

export async function outboxStats(sql: postgres.Sql | postgres.ReservedSql): Promise<OutboxStats> {
  const [row] = await sql`
    select count(*)::int as backlog,
           coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as age,
           (count(*) filter (where attempts > 0))::int as failing
    from outbox where published_at is null`;
  return { backlog: row.backlog, oldestUnpublishedAgeSeconds: row.age, failing: row.failing };
}

export interface OutboxRelayOptions {
  sql: postgres.Sql;
  brokers: KafkaBrokers;
  ns?: string;
  logger: Logger;
  batchSize?: number;
  /** Fallback poll when no NOTIFY arrives (default 5 s): new events wake the relay at once. */
  pollIntervalMs?: number;
  /** How often a standby relay tries to take over (default 2 s). */
  standbyRetryMs?: number;
  /** First backoff after a failed publish; doubles up to 30 s. */
  retryBaseMs?: number;
  registry?: Registry;
}

export interface OutboxRelay {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** True while this relay holds the database's relay lock and publishes. */
  readonly active: boolean;
}

class PublishError extends Error {}

class RelayLockLost extends Error {}

/**
 * Publishes the outbox to Kafka in `seq` order. One relay per database is active (session advisory lock
 * held on a reserved connection); the others stand by and take over when it goes away.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { sql, logger, batchSize = 100, pollIntervalMs = 5000, standbyRetryMs = 2000, retryBaseMs = 200 } = options;
  const registry = options.registry ?? globalRegister;
  const metrics = {
    backlog: gauge(registry, 'outbox_backlog', 'Outbox events not yet published'),
    oldestAge: gauge(registry, 'outbox_oldest_unpublished_age_seconds', 'Age of the oldest unpublished outbox event'),
    published: counter(registry, 'outbox_published_total', 'Outbox events published to Kafka'),
    errors: counter(registry, 'outbox_publish_errors_total', 'Failed outbox publish attempts'),
  };
  const stopping = new AbortController();
  let producer: Producer<string, string, string, string> | undefined;
  let listener: { unlisten(): Promise<void> } | undefined;
  let loop: Promise<void> | undefined;
  let active = false;
  let wakeUp: (() => void) | undefined;
  let wokenWhileBusy = false;
  let statsRefreshedAt = 0;
  let restarts = 0; // consecutive failures of the leader loop, for its backoff

  function wake() {
    if (wakeUp) wakeUp();
    else wokenWhileBusy = true;
  }

  /** Waits for a NOTIFY, `ms`, or stop, whichever comes first. */
  function idle(ms: number): Promise<void> {
    if (wokenWhileBusy || stopping.signal.aborted) {
      wokenWhileBusy = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakeUp = done;
    });
  }

  async function refreshStats(db: postgres.Sql | postgres.ReservedSql, force: boolean) {
    if (!force && Date.now() - statsRefreshedAt < 1000) return;
    statsRefreshedAt = Date.now();
    const stats = await outboxStats(db);
    metrics.backlog.set(stats.backlog);
    metrics.oldestAge.set(stats.oldestUnpublishedAgeSeconds);
  }

  /** The outbox is empty: the gauges say so without a query. */
  function drained() {
    statsRefreshedAt = Date.now();
    metrics.backlog.set(0);
    metrics.oldestAge.set(0);
  }

  /**
   * A producer span for one event, child of the trace its row was written in; the message carries the
   * span's own `traceparent`, so each consumer's span hangs below the send across Kafka.
   */
  function producerSpan(topic: string, key: string, rowHeaders: Record<string, string>): { span: Span; headers: Record<string, string> } {
    const parent = propagation.extract(ROOT_CONTEXT, rowHeaders);
    const span = tracer.startSpan(`send ${topic}`, {
      kind: SpanKind.PRODUCER,
      attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.operation.type': 'send', 'messaging.kafka.message.key': key },
    }, parent);
    const headers = { ...rowHeaders };
    propagation.inject(trace.setSpan(parent, span), headers);
    return { span, headers };
  }

  /**
   * Marks `acked` (the batch Kafka just acknowledged) published and reads the next batch, in one
   * statement: a data-modifying WITH runs whether or not the select reads it, and the select still
   * sees the rows it updates as unpublished, so they are excluded by seq.
   *
   * The mark commits without waiting for its WAL flush (`synchronous_commit` off for this statement's
   * transaction, set by the update's RETURNING, which runs with it): a mark lost in a server crash
   * only sends its events again, which consumers deduplicate by event id. The events themselves were
   * committed durably by the transactions that wrote them.
   */
  async function markAndReadNext(conn: postgres.Sql, acked: string[]) {
    if (acked.length === 0) {
      return conn`
        select seq, topic, key, payload::text as value, headers
        from outbox where published_at is null order by seq limit ${batchSize}`;
    }
    return conn`
      with published as (
        update outbox set published_at = now() where seq in ${conn(acked)}
        returning set_config('synchronous_commit', 'off', true))
      select seq, topic, key, payload::text as value, headers
      from outbox where published_at is null and seq not in ${conn(acked)} order by seq limit ${batchSize}`;
  }

  /**
   * Publishes the next batch and returns the seqs Kafka acknowledged. `acked` are the rows of the
   * previous batch, acknowledged but not yet marked: they are marked here together with the next read,
   * and the returned ones are marked with the read after them.
   */
  async function publishBatch(conn: postgres.Sql, acked: string[]): Promise<string[]> {
    const rows = await markAndReadNext(conn, acked);
    if (acked.length) metrics.published.inc(acked.length);
    if (rows.length === 0) return [];
    const seqs = rows.map((row) => row.seq as string);
    const sends = rows.map((row) => producerSpan(row.topic, row.key, row.headers));
    try {
      await producer!.send({
        messages: rows.map((row, i) => ({ topic: row.topic, key: row.key, value: row.value, headers: sends[i].headers })),
      });
      for (const { span } of sends) span.end();
    } catch (err) {
      for (const { span } of sends) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
        span.end();
      }
      metrics.errors.inc();
      await conn`update outbox set attempts = attempts + 1, last_error = ${errorMessage(err)} where seq in ${conn(seqs)}`;
      throw new PublishError(errorMessage(err), { cause: err });
    }
    // Only after every partition leader acked: a crash before the rows are marked republishes them (consumers dedupe).
    // Marked together with the next read: one statement per wake-up instead of two.
    return seqs;
  }

  const lockCheckIntervalMs = 1000;
  /** How long acknowledged rows may stay unmarked while no new event arrives to mark them with. */
  const markDelayMs = 50;

  /** Whether the session `pid` (the lock holder) still holds an advisory lock, asked through the pool. */
  async function lockHeld(pid: number): Promise<boolean> {
    const [row] = await sql`
      select exists(select 1 from pg_locks where locktype = 'advisory' and pid = ${pid} and granted) as held`;
    return row.held;
  }

  /**
   * The lock session only holds the lock; all work goes through the pool. A query on a reserved
   * connection whose backend is gone crashes the process (porsager/postgres#1208), so that
   * connection is only touched again after the pool confirmed the session is alive.
   */
  async function publishWhileLeader(lockPid: number) {
    let failures = 0;
    let lockCheckedAt = 0;
    /** Acknowledged by Kafka, to be marked published with the next read. */
    let acked: string[] = [];
    while (!stopping.signal.aborted) {
      // Checked at most once a second, not per batch: a lost lock means at most a second of batches
      // that the new leader may publish again (consumers dedupe by event id).
      if (performance.now() - lockCheckedAt >= lockCheckIntervalMs) {
        if (!(await lockHeld(lockPid))) throw new RelayLockLost('relay lock lost: its database session ended');
        lockCheckedAt = performance.now();
      }
      try {
        const previous = acked;
        acked = []; // marked by the read in publishBatch, whether or not the send then fails
        acked = await publishBatch(sql, previous);
        failures = 0;
        restarts = 0;
      } catch (err) {
        if (!(err instanceof PublishError)) throw err;
        failures += 1;
        const delay = backoffDelay(retryBaseMs, failures);
        logger.warn({ err, attempt: failures, retryInMs: Math.round(delay) }, 'outbox publish failed; retrying');
        await sleep(delay, stopping.signal);
        continue;
      }
      // Going idle, the read just found nothing unpublished: the backlog is 0 without asking. While
      // events trickle in one NOTIFY at a time, the gauges are read at most once a second.
      if (acked.length === 0) drained();
      else await refreshStats(sql, false);
      // Rows sent but not yet marked wait at most `markDelayMs` for the next event's read to mark them.
      if (acked.length < batchSize) await idle(acked.length > 0 ? markDelayMs : pollIntervalMs);
    }
    // Stopping: mark what Kafka acknowledged, so a restart does not send it again.
    if (acked.length) {
      await sql`update outbox set published_at = now() where seq in ${sql(acked)}`;
      metrics.published.inc(acked.length);
    }
  }

  /**
   * Unlocks and returns a live lock session to the pool. A dead one is left alone: the pool took its
   * connection back when it closed. Asks until the pool answers (or the relay stops).
   */
  async function endLockSession(conn: postgres.ReservedSql, pid: number | undefined) {
    if (pid === undefined) return; // the lock query itself failed: the session is presumed gone
    for (let attempt = 1; ; attempt++) {
      try {
        if (!(await lockHeld(pid))) return;
        break;
      } catch (err) {
        logger.warn({ err }, 'outbox relay: cannot check its lock session yet');
        if (!(await sleep(backoffDelay(retryBaseMs, attempt, 5000), stopping.signal))) return;
      }
    }
    // This session is ours alone, so dropping all its advisory locks only drops the relay lock.
    await conn`select pg_advisory_unlock_all()`.catch(() => {});
    conn.release();
  }

  async function run() {
    while (!stopping.signal.aborted) {
      let conn: postgres.ReservedSql | undefined;
      let lockPid: number | undefined;
      try {
        conn = await sql.reserve();
        const [row] = await conn`
          select pg_try_advisory_lock(hashtext('meridian.outbox-relay')) as locked, pg_backend_pid() as pid`;
        if (!row.locked) {
          conn.release();
          conn = undefined;
          await refreshStats(sql, true);
          await sleep(standbyRetryMs, stopping.signal);
          continue;
        }
        lockPid = row.pid;
        active = true;
        logger.info({ pid: row.pid }, 'outbox relay active');
        await publishWhileLeader(row.pid);
      } catch (err) {
        restarts += 1;
        logger.error({ err }, 'outbox relay failed; restarting');
      } finally {
        if (active) logger.info({}, 'outbox relay standing down');
        active = false;
        if (conn) await endLockSession(conn, lockPid);
      }
      if (restarts > 0) await sleep(backoffDelay(retryBaseMs, restarts), stopping.signal);
    }
  }

  return {
    get active() {
      return active;
    },
    async start() {
      if (loop) throw new Error('outbox relay already started');
      listener = await sql.listen('outbox', wake);
      producer = new Producer({
        clientId: `${options.ns ?? 'meridian'}.outbox-relay`,
        ...kafkaConnection(options.brokers),
        serializers: stringSerializers,
        idempotent: true,
        acks: ProduceAcks.ALL,
        retries: 3,
        retryDelay: 250,
      });
      loop = run();
    },
    async stop() {
      if (!loop) return;
      stopping.abort();
      wake();
      await loop;
      await listener?.unlisten();
      await producer?.close();
    },
  };
}
