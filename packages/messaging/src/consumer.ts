import { hostname } from 'node:os';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import { Consumer, type Message, type MessagesStream, ProduceAcks, Producer } from '@platformatic/kafka';
import type postgres from 'postgres';
import type { Registry } from 'prom-client';
import { dataErrors, type EventEnvelope, InvalidEventError, parseEnvelope, type SchemaRegistry } from './envelope.ts';
import { backoffDelay, counter, errorMessage, gauge, globalRegister, histogram, type Logger, sleep } from './support.ts';
import { dlqTopic, parseBrokers, physicalTopic } from './topics.ts';
import { isTransientError } from './transient.ts';

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
  brokers: string | string[];
  ns: string;
  /** `<service>.<purpose>`; the Kafka consumer group is `<ns>.<groupId>`. */
  groupId: string;
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

type KafkaMessage = Message<Buffer, Buffer, Buffer, Buffer>;
type Outcome = 'processed' | 'duplicate' | 'skipped' | 'dead_lettered' | 'interrupted';

/** What a message calls for, decided once before it is handled. */
type Verdict =
  | { kind: 'handle'; type: string; event: EventEnvelope; handler: EventHandler }
  | { kind: 'skip'; type: string }
  | { kind: 'dead_letter'; type: string; reason: string };

interface Queued {
  message: KafkaMessage;
  generation: number;
  verdict?: Verdict;
}

interface PartitionQueue {
  messages: Queued[];
  draining: Promise<void> | undefined;
}

const maxBuffered = 1000;
/**
 * A batch waits at most this long for a row lock, then rolls back and is split up (single messages
 * wait as long as it takes). A batch holds its locks longer than one message would, so two batches
 * locking the same rows in different orders would otherwise deadlock until PostgreSQL's 1 s detection.
 */
const batchLockTimeoutMs = 50;
/** Retries through a database outage back off to at most this, so the partition resumes soon after it ends. */
const transientBackoffMaxMs = 5_000;
const tracer = trace.getTracer('@meridian/messaging');

/**
 * Idempotent Kafka consumer: each event runs its handler at most once per group (inbox table
 * `processed_messages`), offsets are committed only after the effect or the dead letter is durable,
 * and partitions are processed independently so a failing message only holds back its own partition.
 */
export function createConsumer(options: ConsumerOptions): EventConsumer {
  const { sql, logger, handlers, registry, maxAttempts = 5, backoffMs = 200, maxMessageBytes = 256 * 1024, batchSize = 50, batchMaxMs = 20 } = options;
  const commitIntervalMs = options.commitIntervalMs ?? 1000;
  const groupId = `${options.ns}.${options.groupId}`;
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
  const partitions = new Map<string, PartitionQueue>();
  let consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | undefined;
  let dlqProducer: Producer | undefined;
  let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  let generation = 0; // bumped per stream; messages of a dead stream are dropped (they are redelivered)
  let buffered = 0;
  let paused = false;

  const startAttempts = 5;

  async function openStream() {
    const current = await consumer!.consume({
      topics,
      mode: 'committed',
      fallbackMode: 'earliest',
      autocommit: false,
    });
    const streamGeneration = ++generation;
    stream = current;
    current.on('data', (message: KafkaMessage) => enqueue(message, streamGeneration));
    current.on('error', (err: Error) => {
      if (stopping.signal.aborted || streamGeneration !== generation) return;
      logger.error({ err, groupId }, 'kafka consumer stream failed; reopening');
      void reopen();
    });
  }

  async function reopen() {
    for (let attempt = 1; !stopping.signal.aborted; attempt++) {
      if (!(await sleep(backoffDelay(backoffMs, attempt, 10_000), stopping.signal))) return;
      try {
        await openStream();
        return;
      } catch (err) {
        logger.error({ err, groupId }, 'kafka consumer stream reopen failed');
      }
    }
  }

  function enqueue(message: KafkaMessage, messageGeneration: number) {
    const key = `${message.topic}:${message.partition}`;
    let queue = partitions.get(key);
    if (!queue) {
      queue = { messages: [], draining: undefined };
      partitions.set(key, queue);
    }
    queue.messages.push({ message, generation: messageGeneration });
    buffered += 1;
    if (!paused && buffered >= maxBuffered) {
      paused = true;
      stream?.pause();
    }
    if (!queue.draining) {
      const q = queue;
      q.draining = drain(q).finally(() => {
        q.draining = undefined;
      });
    }
  }

  function dequeue(queue: PartitionQueue): Queued {
    const queued = queue.messages.shift()!;
    buffered -= 1;
    if (paused && buffered <= maxBuffered / 2) {
      paused = false;
      stream?.resume();
    }
    return queued;
  }

  /**
   * The next message, or the run of consecutive messages that all go to a handler (at most
   * `batchSize`): those share one transaction. Messages of a replaced stream are dropped.
   */
  function nextBatch(queue: PartitionQueue): Queued[] {
    const batch: Queued[] = [];
    while (queue.messages.length > 0 && batch.length < batchSize) {
      const head = queue.messages[0];
      if (head.generation !== generation) {
        dequeue(queue);
        continue;
      }
      head.verdict ??= classify(head.message);
      if (batch.length > 0 && head.verdict.kind !== 'handle') break;
      batch.push(dequeue(queue));
      if (head.verdict.kind !== 'handle') break;
    }
    return batch;
  }

  async function drain(queue: PartitionQueue) {
    while (queue.messages.length > 0 && !stopping.signal.aborted) {
      const batch = nextBatch(queue);
      await handleRun(batch);
    }
  }

  async function handleRun(batch: Queued[]) {
    if (batch.length > 1) await handleBatch(batch);
    else if (batch.length === 1) await handleMessage(batch[0]);
  }

  /** Per partition, the newest handled message whose offset is not committed yet. */
  const uncommitted = new Map<string, KafkaMessage>();
  let commitTimer: NodeJS.Timeout | undefined;

  function commitNow(message: KafkaMessage) {
    // Not awaited: the client coalesces commits per partition. If one is lost, the message is
    // redelivered and the inbox skips it.
    Promise.resolve(message.commit()).catch((err: unknown) =>
      logger.warn({ err, topic: message.topic, partition: message.partition, offset: String(message.offset) }, 'offset commit failed'),
    );
  }

  /** Commits the newest handled offset of every partition (one request per partition at most). */
  function flushCommits() {
    clearTimeout(commitTimer);
    commitTimer = undefined;
    for (const message of uncommitted.values()) commitNow(message);
    uncommitted.clear();
  }

  function finish(message: KafkaMessage, type: string, outcome: Exclude<Outcome, 'interrupted'>) {
    metrics.consumed.inc({ topic: message.topic, type, result: outcome });
    if (commitIntervalMs <= 0) return commitNow(message);
    // Offsets of one partition only grow: the newest message covers the ones before it.
    uncommitted.set(`${message.topic}:${message.partition}`, message);
    commitTimer ??= setTimeout(flushCommits, commitIntervalMs);
  }

  async function handleMessage({ message, verdict }: Queued) {
    const endTimer = metrics.seconds.startTimer({ topic: message.topic });
    const { outcome, type } = await processMessage(message, verdict ?? classify(message)).catch(async (err: unknown) => {
      // A bug rather than a bad message; park it rather than crash or skip it.
      logger.error({ err, groupId, topic: message.topic, partition: message.partition }, 'consumer failed to process a message');
      const parked = await deadLetter(message, `consumer error: ${errorMessage(err)}`);
      return { outcome: parked ? ('dead_lettered' as const) : ('interrupted' as const), type: 'unknown' };
    });
    endTimer();
    if (outcome !== 'interrupted') finish(message, type, outcome);
  }

  /**
   * Handles consecutive messages of one partition in one transaction: one commit for all of their
   * inbox rows and effects. The transaction takes no new message after `batchMaxMs`, so a slow
   * handler does not hold back the commit of the ones before it; the rest follow in the next one.
   * If a handler fails, nothing of the batch stays: the messages before it are handled again as a
   * batch, the failing one on its own (retries, then the DLQ), then the rest; a failure elsewhere
   * (e.g. the commit) handles every message on its own.
   */
  async function handleBatch(batch: Queued[]) {
    const started = performance.now();
    const spans: { span: Span; context: Context }[] = [];
    let failedAt: number | undefined;
    let fresh: boolean[];
    try {
      fresh = await sql.begin(async (tx) => {
        await tx`select set_config('lock_timeout', ${`${batchLockTimeoutMs}ms`}, true)`;
        const results: boolean[] = [];
        for (const [i, { message, verdict }] of batch.entries()) {
          if (i > 0 && performance.now() - started >= batchMaxMs) break;
          const handle = verdict as Extract<Verdict, { kind: 'handle' }>;
          const span = startEventSpan(handle.event, message);
          spans.push(span);
          try {
            results.push(await context.with(span.context, () => applyEvent(tx, handle, message, 1)));
          } catch (err) {
            failedAt = i;
            throw err;
          }
        }
        return results;
      });
    } catch (err) {
      for (const { span } of spans) span.end();
      logger.debug({ err, groupId, messages: batch.length, failedAt }, 'batch rolled back; isolating the failure');
      // Until the offset of a message is committed, it and the ones after it are redelivered on a stop.
      const parts = failedAt === undefined ? batch.map((queued) => [queued]) : [batch.slice(0, failedAt), [batch[failedAt]], batch.slice(failedAt + 1)];
      for (const part of parts) {
        if (stopping.signal.aborted) return;
        await handleRun(part);
      }
      return;
    }
    const seconds = (performance.now() - started) / 1000 / fresh.length;
    fresh.forEach((handled, i) => {
      const { message, verdict } = batch[i];
      const { type, event } = verdict as Extract<Verdict, { kind: 'handle' }>;
      if (handled) context.with(spans[i].context, () => logHandled(event, message));
      spans[i].span.end();
      metrics.seconds.observe({ topic: message.topic }, seconds);
      finish(message, type, handled ? 'processed' : 'duplicate');
    });
    if (fresh.length < batch.length && !stopping.signal.aborted) await handleRun(batch.slice(fresh.length));
  }

  /** Decides what a message calls for: a handler, a skip (unknown type) or the DLQ (invalid). */
  function classify(message: KafkaMessage): Verdict {
    try {
      const size = message.value?.length ?? 0;
      if (size > maxMessageBytes) return { kind: 'dead_letter', type: 'invalid', reason: `message too large: ${size} bytes (limit ${maxMessageBytes})` };
      let event: EventEnvelope;
      try {
        event = parseEnvelope(message.value);
      } catch (err) {
        if (!(err instanceof InvalidEventError)) throw err;
        return { kind: 'dead_letter', type: 'invalid', reason: err.reason };
      }
      const { type, version } = event;
      const handler = Object.hasOwn(handlers, type) ? handlers[type] : undefined;
      if (!handler) return { kind: 'skip', type };
      const errors = dataErrors(registry, type, version, event.data);
      if (errors.length > 0) return { kind: 'dead_letter', type, reason: `${type} v${version} ${errors.join('; ')}` };
      return { kind: 'handle', type, event, handler };
    } catch (err) {
      // A bug or a broken schema rather than a bad message; park it rather than crash or skip it.
      logger.error({ err, groupId, topic: message.topic, partition: message.partition }, 'consumer failed to process a message');
      return { kind: 'dead_letter', type: 'unknown', reason: `consumer error: ${errorMessage(err)}` };
    }
  }

  async function processMessage(message: KafkaMessage, verdict: Verdict): Promise<{ outcome: Outcome; type: string }> {
    const { type } = verdict;
    if (verdict.kind === 'skip') return { outcome: 'skipped', type };
    if (verdict.kind === 'dead_letter') return { outcome: (await deadLetter(message, verdict.reason)) ? 'dead_lettered' : 'interrupted', type };
    // `failures` counts only the failures that may be the message's; an outage of the database is
    // waited out (the partition pauses) rather than dead-lettering every message that meets it.
    for (let attempt = 1, failures = 0, outages = 0; ; attempt++) {
      try {
        const fresh = await runHandler(verdict, message, attempt);
        return { outcome: fresh ? 'processed' : 'duplicate', type };
      } catch (err) {
        const transient = isTransientError(err);
        if (transient) outages += 1;
        else failures += 1;
        const where = { err, groupId, type, eventId: verdict.event.id, topic: message.topic, partition: message.partition, attempt };
        if (failures >= maxAttempts) {
          const reason = `handler failed after ${attempt} attempts: ${errorMessage(err)}`;
          return { outcome: (await deadLetter(message, reason)) ? 'dead_lettered' : 'interrupted', type };
        }
        logger.warn(where, transient ? 'event handler met a database outage; retrying' : 'event handler failed; retrying');
        metrics.retries.inc({ topic: message.topic, type });
        const delay = transient ? backoffDelay(backoffMs, outages, transientBackoffMaxMs) : backoffDelay(backoffMs, failures);
        if (!(await sleep(delay, stopping.signal))) return { outcome: 'interrupted', type };
      }
    }
  }

  /**
   * A consumer span whose parent is the relay's send span (the message's `traceparent` header) or, for
   * a message without one, the trace the event was written in; and the context it is active in.
   */
  function startEventSpan(event: EventEnvelope, message: KafkaMessage): { span: Span; context: Context } {
    const traceparent = message.headerEntries.find(([name]) => name.toString() === 'traceparent')?.[1].toString() ?? event.traceparent;
    const parent = traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
    const attributes = {
      'messaging.system': 'kafka',
      'messaging.destination.name': message.topic,
      'messaging.consumer.group.name': groupId,
      'messaging.message.id': event.id,
      'meridian.event.type': event.type,
    };
    const span = tracer.startSpan(`process ${event.type}`, { kind: SpanKind.CONSUMER, attributes }, parent);
    return { span, context: trace.setSpan(parent, span) };
  }

  /** Records the event in the inbox and runs its handler in `tx`; false when this group had already handled it. */
  async function applyEvent(tx: postgres.TransactionSql, { event, handler }: Extract<Verdict, { kind: 'handle' }>, message: KafkaMessage, attempt: number) {
    const inserted = await tx`
      insert into processed_messages (consumer, message_id) values (${groupId}, ${event.id})
      on conflict do nothing returning message_id`;
    if (inserted.length === 0) return false;
    await handler(event, tx, { topic: message.topic, partition: message.partition, offset: message.offset, attempt, groupId, logger });
    return true;
  }

  // Logged in the event's span: the line carries its trace id, so a trace's log search shows every hop.
  function logHandled(event: EventEnvelope, message: KafkaMessage) {
    logger.info({ groupId, type: event.type, eventId: event.id, topic: message.topic, partition: message.partition }, 'event handled');
  }

  /** Handles one event in its own transaction; true when it was handled now, false for a duplicate. */
  async function runHandler(verdict: Extract<Verdict, { kind: 'handle' }>, message: KafkaMessage, attempt: number): Promise<boolean> {
    const { span, context: spanContext } = startEventSpan(verdict.event, message);
    try {
      const fresh = await context.with(spanContext, () => sql.begin((tx) => applyEvent(tx, verdict, message, attempt)));
      if (fresh) context.with(spanContext, () => logHandled(verdict.event, message));
      return fresh;
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
      throw err;
    } finally {
      span.end();
    }
  }

  /** Copies the message to `<topic>.dlq`, retrying until it lands; false only when stopped first. */
  async function deadLetter(message: KafkaMessage, reason: string): Promise<boolean> {
    const headers = new Map<Buffer, Buffer>(message.headerEntries);
    const add = (name: string, value: string) => headers.set(Buffer.from(name), Buffer.from(value));
    add('dlq-reason', reason);
    add('dlq-original-topic', message.topic);
    add('dlq-original-partition', String(message.partition));
    add('dlq-original-offset', String(message.offset));
    add('dlq-consumer', groupId);
    add('dlq-failed-at', new Date().toISOString());
    const topic = dlqTopic(message.topic);
    for (let attempt = 1; ; attempt++) {
      try {
        await dlqProducer!.send({ messages: [{ topic, key: message.key, value: message.value, headers }] });
        metrics.dlq.inc({ topic: message.topic });
        logger.warn({ groupId, topic: message.topic, partition: message.partition, offset: String(message.offset), reason }, 'message dead-lettered');
        return true;
      } catch (err) {
        logger.error({ err, groupId, topic }, 'dead-letter publish failed; retrying');
        if (!(await sleep(backoffDelay(backoffMs, attempt), stopping.signal))) return false;
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
      const bootstrapBrokers = parseBrokers(options.brokers);
      const clientId = `${groupId}.${hostname()}.${process.pid}`;
      consumer = new Consumer({
        clientId,
        groupId,
        bootstrapBrokers,
        autocommit: false,
        sessionTimeout: 10_000,
        heartbeatInterval: 3_000,
        rebalanceTimeout: 30_000,
        // A fetch returns as soon as a message arrives; this only bounds how often an idle one asks again.
        maxWaitTime: 5_000,
      });
      dlqProducer = new Producer({ clientId: `${clientId}.dlq`, bootstrapBrokers, idempotent: true, acks: ProduceAcks.ALL });
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
      await Promise.all([...partitions.values()].map((q) => q.draining));
      flushCommits();
      consumer.stopLagMonitoring();
      await stream?.close().catch((err: unknown) => logger.warn({ err, groupId }, 'closing the consumer stream failed'));
      await consumer.close();
      await dlqProducer?.close();
    },
  };
}
