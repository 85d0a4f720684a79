import { hostname } from 'node:os';
import { Consumer, type Message, type MessagesStream } from '@platformatic/kafka';
import type { Sql } from 'postgres';
import { counterOf } from '@meridian/http';
import { type Counter, register as globalRegistry, type Registry } from 'prom-client';
import type { Logger } from '@meridian/log';
import { logsTopic } from '@meridian/log';
import { physicalTopic } from '@meridian/messaging';
import { parseLogLine } from '../domain/entry.ts';
import { insertEntries, type SourcedEntry } from '../db/entries.ts';
import { kafkaConnection } from '@meridian/config';

type KafkaMessage = Message<Buffer, Buffer, Buffer, Buffer>;

export interface LogIndexerOptions {
  sql: Sql;
  brokers: string[];
  ns: string;
  logger: Logger;
  /** `<service>.<purpose>`; the Kafka group is `<ns>.<groupId>`. */
  groupId?: string;
  /** Most lines per INSERT (default 500). */
  batchSize?: number;
  /** A partial batch is written after this long (default 200 ms). */
  flushIntervalMs?: number;
  registry?: Registry;
}

export interface LogIndexer {
  start(): Promise<void>;
  /** Writes what was read, commits it and leaves the group. */
  stop(): Promise<void>;
}

const counter = (registry: Registry, name: string, help: string): Counter => counterOf(registry, name, help);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads `<ns>.platform.logs` and indexes the lines into `log_entries` in bulk. Offsets are committed
 * only after the rows are stored; a redelivered line hits the (partition, offset) unique key and
 * is skipped, so every line is stored once. Lines that are not JSON objects are counted and skipped.
 */
export function createLogIndexer(options: LogIndexerOptions): LogIndexer {
  const { sql, logger, batchSize = 500, flushIntervalMs = 200 } = options;
  const registry = options.registry ?? globalRegistry;
  const metrics = {
    read: counter(registry, 'log_lines_read_total', 'Log lines read from Kafka (redeliveries included)'),
    indexed: counter(registry, 'log_entries_indexed_total', 'Log lines stored in the index (redeliveries excluded)'),
    rejected: counter(registry, 'log_entries_rejected_total', 'Shipped log lines that were not JSON objects'),
  };
  const topic = physicalTopic(options.ns, logsTopic);
  const groupId = `${options.ns}.${options.groupId ?? 'logging.indexer'}`;
  let consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | undefined;
  let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  let pending: KafkaMessage[] = [];
  let writing: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopping = false;

  /** Stores the batch, retrying while the database is unavailable; false when stopped first. */
  async function store(entries: SourcedEntry[]): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        metrics.indexed.inc(await insertEntries(sql, entries));
        return true;
      } catch (err) {
        if (stopping && attempt > 1) return false;
        logger.error({ err, attempt, lines: entries.length }, 'storing log lines failed; retrying');
        await sleep(Math.min(10_000, 200 * 2 ** attempt));
      }
    }
  }

  async function writeBatch(batch: KafkaMessage[]) {
    const entries: SourcedEntry[] = [];
    for (const message of batch) {
      const timestamp = new Date(Number(message.timestamp));
      const entry = parseLogLine(message.value?.toString('utf8') ?? '', {
        key: message.key?.toString('utf8'),
        timestamp,
      });
      if (entry) entries.push({ entry, partition: message.partition, offset: message.offset, timestamp });
      else metrics.rejected.inc();
    }
    if (!(await store(entries))) return; // uncommitted: read again by the next indexer
    metrics.read.inc(batch.length);
    // Committing a partition's last message commits everything before it.
    const last = new Map<number, KafkaMessage>();
    for (const message of batch) last.set(message.partition, message);
    await Promise.all(
      [...last.values()].map((message) =>
        Promise.resolve(message.commit()).catch((err: unknown) => logger.warn({ err, partition: message.partition }, 'offset commit failed')),
      ),
    );
  }

  /** A timer only while lines wait (an idle indexer has none ticking): they are written within `flushIntervalMs`. */
  function flushSoon() {
    if (timer || stopping) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, flushIntervalMs);
  }

  /** Queues the pending lines for writing; batches are written one after another. */
  function flush(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return writing;
    const batch = pending;
    pending = [];
    stream?.pause();
    writing = writing
      .then(() => writeBatch(batch))
      .catch((err: unknown) => logger.error({ err }, 'indexing a batch failed'))
      .finally(() => {
        if (!stopping) stream?.resume();
      });
    return writing;
  }

  async function openStream() {
    const current = await consumer!.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
    stream = current;
    current.on('data', (message: KafkaMessage) => {
      pending.push(message);
      if (pending.length >= batchSize) void flush();
      else flushSoon();
    });
    current.on('error', (err: Error) => {
      if (stopping || stream !== current) return;
      logger.error({ err }, 'log stream failed; reopening');
      void reopen();
    });
  }

  let reopening = false;
  async function reopen() {
    if (reopening) return; // the stream and the client can both report one failure
    reopening = true;
    try {
      for (let attempt = 1; !stopping; attempt++) {
        await sleep(Math.min(10_000, 500 * attempt));
        try {
          await openStream();
          return;
        } catch (err) {
          logger.error({ err }, 'reopening the log stream failed');
        }
      }
    } finally {
      reopening = false;
    }
  }

  /** The client gave up rejoining the group after a failed heartbeat (unheard, its 'error' would end the process). */
  function onClientError(err: Error) {
    if (stopping) return;
    logger.error({ err }, 'the log consumer lost its group membership; joining again');
    const current = stream;
    stream = undefined;
    void (current ? current.close().catch(() => {}) : Promise.resolve()).then(reopen);
  }

  return {
    async start() {
      consumer = new Consumer({
        clientId: `${groupId}.${hostname()}.${process.pid}`,
        groupId,
        ...kafkaConnection(options.brokers),
        autocommit: false,
        sessionTimeout: 10_000,
        heartbeatInterval: 3_000,
        // A fetch returns as soon as a line arrives; this only bounds how often an idle one asks again.
        maxWaitTime: 5_000,
      });
      consumer.on('error', onClientError);
      await openStream();
    },
    async stop() {
      if (!consumer || stopping) return;
      stopping = true;
      clearTimeout(timer);
      stream?.pause();
      await flush();
      await stream?.close().catch((err: unknown) => logger.warn({ err }, 'closing the log stream failed'));
      await consumer.close();
    },
  };
}
