import { hostname } from 'node:os';
import { context } from '@opentelemetry/api';
import { Consumer, type MessagesStream } from '@platformatic/kafka';
import type postgres from 'postgres';
import type { Registry } from 'prom-client';
import { createDeadLetterQueue, type DeadLetterQueue } from './deadLetters.ts';
import type { EventEnvelope, SchemaRegistry } from './envelope.ts';
import { BatchRolledBack, createInbox } from './inbox.ts';
import { createOffsetCommits } from './offsetCommits.ts';
import { createPartitionQueues, type Queued } from './partitionQueues.ts';
import { backoffDelay, counter, errorMessage, gauge, globalRegister, histogram, type Logger, sleep } from './support.ts';
import { physicalTopic } from './topics.ts';
import { isTransientError } from './transient.ts';
import { type HandleVerdict, judge, type KafkaMessage, type Verdict } from './verdict.ts';
import { kafkaConnection, type KafkaBrokers } from '@meridian/config';

export interface HandlerContext {
  topic: string;
  partition: number;
  offset: bigint;
  /** 1 on the first delivery to the handler, then 2, 3, ... on retries. */
  attempt: number;
  groupId: string;
  logger: Logger;
}

/** Runs inside the transaction that recorded the event as processed; throwing rolls both back. */
export type EventHandler = (event: EventEnvelope<any>, tx: postgres.TransactionSql, ctx: HandlerContext) => Promise<void>;

export interface ConsumerOptions {
  sql: postgres.Sql;
  brokers: KafkaBrokers;
  ns: string;
  /** `<service>.<purpose>`; the Kafka consumer group is `<ns>.<groupId>`. */
  groupId: string;
  /**
   * The instance's slot (`1`, `2`, ... or a pod ordinal), when the launcher restarts an instance in the
   * same slot: the consumer is then a static member (`group.instance.id` = `<group>.<slot>`), so a
   * restarted process takes its partitions back at once instead of waiting out its predecessor's session.
   */
  instanceSlot?: string;
  /** Logical topic names. */
  topics: string[];
  /** Keyed by event type; types without a handler are skipped. */
  handlers: Record<string, EventHandler>;
  registry: SchemaRegistry;
  logger: Logger;
  /** Failed handler runs before a message is dead-lettered (default 5); a database outage (`isTransientError`) is waited out instead. */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt, with jitter. */
  backoffMs?: number;
  metricsRegistry?: Registry;
  lagIntervalMs?: number;
  /** Larger message values are dead-lettered unparsed (default 256 KiB; events are a few KiB). */
  maxMessageBytes?: number;
  /** Most consecutive messages of a partition handled in one transaction (default 50; 1 = one per transaction). */
  batchSize?: number;
  /** A batch's transaction takes no further message after this long (default 20 ms). */
  batchMaxMs?: number;
  /**
   * Offsets of handled messages are committed at most this often, per partition the newest one
   * (default 1000 ms; 0 commits each message at once). After a crash, the messages of at most the last
   * interval are delivered again, and the inbox skips them.
   */
  commitIntervalMs?: number;
}

export interface EventConsumer {
  start(): Promise<void>;
  /** Finishes the message in flight on each partition (uncommitted ones are redelivered later) and leaves the group. */
  stop(): Promise<void>;
}

type Outcome = 'processed' | 'duplicate' | 'skipped' | 'dead_lettered' | 'interrupted';

const maxBuffered = 1000;
/** Retries through a database outage back off to at most this, so the partition resumes soon after it ends. */
const transientBackoffMaxMs = 5_000;
const startAttempts = 5;

/**
 * What a consumer does when its client gives up rejoining the group: `stop` consuming when fenced out
 * (another process joined as the same static member and keeps the partitions), else `rejoin`.
 */
export function clientErrorAction(err: unknown): 'stop' | 'rejoin' {
  return protocolErrorIds(err).includes('FENCED_INSTANCE_ID') ? 'stop' : 'rejoin';
}

/** The Kafka error names (`apiId`) inside an error of the client, however deeply its causes are grouped. */
export function protocolErrorIds(err: unknown): string[] {
  if (!err || typeof err !== 'object') return [];
  const { apiId, errors } = err as { apiId?: unknown; errors?: unknown };
  const nested = Array.isArray(errors) ? errors.flatMap(protocolErrorIds) : [];
  return typeof apiId === 'string' ? [apiId, ...nested] : nested;
}

/**
 * Idempotent Kafka consumer: each event runs its handler at most once per group (the inbox,
 * `inbox.ts`), offsets are committed only after the effect or the dead letter is durable
 * (`offsetCommits.ts`), and partitions are processed independently (`partitionQueues.ts`) so a
 * failing message only holds back its own partition until it is retried or dead-lettered
 * (`deadLetters.ts`). This file composes them: the Kafka stream, retries, metrics and lag.
 */
export function createConsumer(options: ConsumerOptions): EventConsumer {
  const { sql, logger, handlers, registry, maxAttempts = 5, backoffMs = 200, maxMessageBytes = 256 * 1024, batchSize = 50, batchMaxMs = 20 } = options;
  const groupId = `${options.ns}.${options.groupId}`;
  const groupInstanceId = options.instanceSlot ? `${groupId}.${options.instanceSlot}` : undefined;
  const topics = options.topics.map((t) => physicalTopic(options.ns, t));
  for (const type of Object.keys(handlers)) {
    if (!registry[type]) throw new Error(`Consumer ${groupId}: no contract schema for handled event type ${type}`);
  }
  const metricsRegistry = options.metricsRegistry ?? globalRegister;
  const metrics = {
    consumed: counter(metricsRegistry, 'kafka_messages_consumed_total', 'Kafka messages handled, by outcome', ['topic', 'type', 'result']),
    seconds: histogram(metricsRegistry, 'kafka_message_processing_seconds', 'Time to handle one Kafka message', ['topic']),
    retries: counter(metricsRegistry, 'kafka_handler_retries_total', 'Event handler retries', ['topic', 'type']),
    dlq: counter(metricsRegistry, 'kafka_dlq_messages_total', 'Messages sent to a dead-letter topic', ['topic']),
    lag: gauge(metricsRegistry, 'kafka_consumer_lag', 'Messages not yet committed by the group', ['group', 'topic', 'partition']),
  };

  const stopping = new AbortController();
  let consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | undefined;
  let deadLetters: DeadLetterQueue | undefined;
  let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  let generation = 0; // bumped per stream
  const inbox = createInbox({ sql, groupId, logger });
  const commits = createOffsetCommits({ intervalMs: options.commitIntervalMs ?? 1000, logger });
  const judgeMessage = (message: KafkaMessage) => judge(message, { handlers, registry, maxMessageBytes, groupId, logger });
  const queues = createPartitionQueues({
    batchSize,
    maxBuffered,
    judge: judgeMessage,
    currentGeneration: () => generation,
    pause: () => stream?.pause(),
    resume: () => stream?.resume(),
    handle: handleRun,
    signal: stopping.signal,
  });

  async function openStream() {
    const current = await consumer!.consume({ topics, mode: 'committed', fallbackMode: 'earliest', autocommit: false });
    const streamGeneration = ++generation;
    stream = current;
    current.on('data', (message: KafkaMessage) => queues.push(message, streamGeneration));
    current.on('error', (err: Error) => {
      if (stopping.signal.aborted || streamGeneration !== generation) return;
      logger.error({ err, groupId }, 'kafka consumer stream failed; reopening');
      void reopen();
    });
  }

  let reopening = false;
  async function reopen() {
    if (reopening) return; // the stream and the client can both report one failure
    reopening = true;
    try {
      for (let attempt = 1; !stopping.signal.aborted; attempt++) {
        if (!(await sleep(backoffDelay(backoffMs, attempt, 10_000), stopping.signal))) return;
        try {
          await openStream();
          return;
        } catch (err) {
          logger.error({ err, groupId }, 'kafka consumer stream reopen failed');
        }
      }
    } finally {
      reopening = false;
    }
  }

  /**
   * The client gave up rejoining the group after a failed heartbeat (unheard, its 'error' would end the
   * process). Fenced out means another process joined as this static member (the same instance slot):
   * that one keeps the partitions and this one stops consuming. Otherwise the group is joined again.
   */
  function onClientError(err: Error) {
    if (stopping.signal.aborted) return;
    const current = stream;
    if (clientErrorAction(err) === 'stop') {
      logger.error({ err: errorMessage(err), groupId, groupInstanceId }, 'fenced out of the consumer group: another process joined as this static member (the same instance slot); this instance stops consuming');
      generation += 1; // what the old stream still delivers is not handled
      void current?.close().catch(() => {});
      return;
    }
    logger.error({ err, groupId }, 'kafka consumer lost its group membership; joining again');
    void (current ? current.close().catch(() => {}) : Promise.resolve()).then(reopen);
  }

  async function handleRun(run: Queued[]) {
    if (run.length > 1) await handleBatch(run);
    else if (run.length === 1) await handleMessage(run[0]);
  }

  function finish(message: KafkaMessage, type: string, outcome: Exclude<Outcome, 'interrupted'>) {
    metrics.consumed.inc({ topic: message.topic, type, result: outcome });
    commits.done(message);
  }

  async function handleMessage({ message, verdict }: Queued) {
    const endTimer = metrics.seconds.startTimer({ topic: message.topic });
    const { outcome, type } = await processMessage(message, verdict ?? judgeMessage(message)).catch(async (err: unknown) => {
      // A bug rather than a bad message; park it rather than crash or skip it.
      logger.error({ err, groupId, topic: message.topic, partition: message.partition }, 'consumer failed to process a message');
      const parked = await deadLetters!.send(message, `consumer error: ${errorMessage(err)}`);
      return { outcome: parked ? ('dead_lettered' as const) : ('interrupted' as const), type: 'unknown' };
    });
    endTimer();
    if (outcome !== 'interrupted') finish(message, type, outcome);
  }

  /**
   * Consecutive messages of one partition in one transaction: one commit for all of their inbox rows
   * and effects. If a handler fails, nothing of the batch stays: the messages before it are handled
   * again as a batch, the failing one on its own (retries, then the DLQ), then the rest; a failure
   * elsewhere (e.g. the commit) handles every message on its own.
   */
  async function handleBatch(batch: Queued[]) {
    const started = performance.now();
    let result: Awaited<ReturnType<typeof inbox.handleBatch>>;
    try {
      result = await inbox.handleBatch(batch.map(({ message, verdict }) => ({ message, verdict: verdict as HandleVerdict })), batchMaxMs);
    } catch (err) {
      if (!(err instanceof BatchRolledBack)) throw err;
      for (const { span } of err.spans) span.end();
      const { failedAt } = err;
      logger.debug({ err: err.cause, groupId, messages: batch.length, failedAt }, 'batch rolled back; isolating the failure');
      // Until the offset of a message is committed, it and the ones after it are redelivered on a stop.
      const parts = failedAt === undefined ? batch.map((queued) => [queued]) : [batch.slice(0, failedAt), [batch[failedAt]], batch.slice(failedAt + 1)];
      for (const part of parts) {
        if (stopping.signal.aborted) return;
        await handleRun(part);
      }
      return;
    }
    const { fresh, spans } = result;
    const seconds = (performance.now() - started) / 1000 / fresh.length;
    fresh.forEach((handled, i) => {
      const { message, verdict } = batch[i];
      const { type, event } = verdict as HandleVerdict;
      if (handled) context.with(spans[i].context, () => inbox.logHandled(event, message));
      spans[i].span.end();
      metrics.seconds.observe({ topic: message.topic }, seconds);
      finish(message, type, handled ? 'processed' : 'duplicate');
    });
    if (fresh.length < batch.length && !stopping.signal.aborted) await handleRun(batch.slice(fresh.length));
  }

  async function processMessage(message: KafkaMessage, verdict: Verdict): Promise<{ outcome: Outcome; type: string }> {
    const { type } = verdict;
    if (verdict.kind === 'skip') return { outcome: 'skipped', type };
    if (verdict.kind === 'dead_letter') return { outcome: (await deadLetters!.send(message, verdict.reason)) ? 'dead_lettered' : 'interrupted', type };
    // `failures` counts only the failures that may be the message's; an outage of the database is
    // waited out (the partition pauses) rather than dead-lettering every message that meets it.
    for (let attempt = 1, failures = 0, outages = 0; ; attempt++) {
      try {
        const fresh = await inbox.handleOne(verdict, message, attempt);
        return { outcome: fresh ? 'processed' : 'duplicate', type };
      } catch (err) {
        const transient = isTransientError(err);
        if (transient) outages += 1;
        else failures += 1;
        const where = { err, groupId, type, eventId: verdict.event.id, topic: message.topic, partition: message.partition, attempt };
        if (failures >= maxAttempts) {
          const reason = `handler failed after ${attempt} attempts: ${errorMessage(err)}`;
          return { outcome: (await deadLetters!.send(message, reason)) ? 'dead_lettered' : 'interrupted', type };
        }
        logger.warn(where, transient ? 'event handler met a database outage; retrying' : 'event handler failed; retrying');
        metrics.retries.inc({ topic: message.topic, type });
        const delay = transient ? backoffDelay(backoffMs, outages, transientBackoffMaxMs) : backoffDelay(backoffMs, failures);
        if (!(await sleep(delay, stopping.signal))) return { outcome: 'interrupted', type };
      }
    }
  }

  function recordLag(lag: Map<string, bigint[]>) {
    for (const [topic, perPartition] of lag) {
      perPartition.forEach((value, partition) => {
        const labels = { group: groupId, topic, partition: String(partition) };
        if (value >= 0n) metrics.lag.set(labels, Number(value));
        else metrics.lag.remove(labels); // not assigned to this member
      });
    }
  }

  return {
    async start() {
      if (consumer) throw new Error(`Consumer ${groupId} already started`);
      const connection = kafkaConnection(options.brokers);
      const clientId = `${groupId}.${hostname()}.${process.pid}`;
      consumer = new Consumer({
        clientId,
        groupId,
        ...(groupInstanceId ? { groupInstanceId } : {}),
        ...connection,
        autocommit: false,
        sessionTimeout: 10_000,
        heartbeatInterval: 3_000,
        rebalanceTimeout: 30_000,
        // A fetch returns as soon as a message arrives; this only bounds how often an idle one asks again.
        maxWaitTime: 5_000,
        // The client's 5 s default put a metadata request before every idle fetch (a quarter of an idle
        // platform's Kafka requests). It refreshes at once on a join and on a leadership or connection error.
        metadataMaxAge: 60_000,
      });
      consumer.on('error', onClientError);
      deadLetters = createDeadLetterQueue({
        connection,
        clientId: `${clientId}.dlq`,
        groupId,
        logger,
        backoffMs,
        signal: stopping.signal,
        onSent: (message) => metrics.dlq.inc({ topic: message.topic }),
      });
      // A broker that has just started answers COORDINATOR_LOAD_IN_PROGRESS / NOT_COORDINATOR for a while.
      for (let attempt = 1; ; attempt++) {
        try {
          await openStream();
          break;
        } catch (err) {
          if (attempt >= startAttempts) throw err;
          logger.warn({ err, groupId, attempt }, 'joining the consumer group failed; retrying');
          await sleep(backoffDelay(backoffMs, attempt, 5_000));
        }
      }
      consumer.on('consumer:lag', recordLag);
      consumer.startLagMonitoring({ topics }, options.lagIntervalMs ?? 10_000);
    },
    async stop() {
      if (!consumer || stopping.signal.aborted) return;
      stopping.abort();
      stream?.pause();
      await queues.idle();
      commits.flush();
      consumer.stopLagMonitoring();
      await stream?.close().catch((err: unknown) => logger.warn({ err, groupId }, 'closing the consumer stream failed'));
      await consumer.close();
      await deadLetters?.close();
    },
  };
}
