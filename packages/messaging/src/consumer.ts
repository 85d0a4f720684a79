import { hostname } from 'node:os';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace } from '@opentelemetry/api';
import { Consumer, type Message, type MessagesStream, ProduceAcks, Producer } from '@platformatic/kafka';
import type postgres from 'postgres';
import type { Registry } from 'prom-client';
import { dataErrors, type EventEnvelope, InvalidEventError, parseEnvelope, type SchemaRegistry } from './envelope.ts';
import { backoffDelay, counter, errorMessage, gauge, globalRegister, histogram, type Logger, sleep } from './support.ts';
import { dlqTopic, parseBrokers, physicalTopic } from './topics.ts';

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
  maxAttempts?: number;
  /** First retry delay; doubles per attempt, with jitter. */
  backoffMs?: number;
  metricsRegistry?: Registry;
  lagIntervalMs?: number;
  /** Larger message values are dead-lettered unparsed (default 256 KiB; events are a few KiB). */
  maxMessageBytes?: number;
}

export interface EventConsumer {
  start(): Promise<void>;
  /** Finishes the message in flight on each partition (uncommitted ones are redelivered later) and leaves the group. */
  stop(): Promise<void>;
}

type KafkaMessage = Message<Buffer, Buffer, Buffer, Buffer>;
type Outcome = 'processed' | 'duplicate' | 'skipped' | 'dead_lettered' | 'interrupted';

interface PartitionQueue {
  messages: { message: KafkaMessage; generation: number }[];
  draining: Promise<void> | undefined;
}

const maxBuffered = 1000;
const tracer = trace.getTracer('@meridian/messaging');

/**
 * Idempotent Kafka consumer: each event runs its handler at most once per group (inbox table
 * `processed_messages`), offsets are committed only after the effect or the dead letter is durable,
 * and partitions are processed independently so a failing message only holds back its own partition.
 */
export function createConsumer(options: ConsumerOptions): EventConsumer {
  const { sql, logger, handlers, registry, maxAttempts = 5, backoffMs = 200, maxMessageBytes = 256 * 1024 } = options;
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

  async function drain(queue: PartitionQueue) {
    while (queue.messages.length > 0 && !stopping.signal.aborted) {
      const { message, generation: messageGeneration } = queue.messages.shift()!;
      buffered -= 1;
      if (paused && buffered <= maxBuffered / 2) {
        paused = false;
        stream?.resume();
      }
      if (messageGeneration !== generation) continue;
      await handleMessage(message);
    }
  }

  async function handleMessage(message: KafkaMessage) {
    const endTimer = metrics.seconds.startTimer({ topic: message.topic });
    const { outcome, type } = await processMessage(message).catch(async (err: unknown) => {
      // A bug or a broken schema rather than a bad message; park it rather than crash or skip it.
      logger.error({ err, groupId, topic: message.topic, partition: message.partition }, 'consumer failed to process a message');
      const parked = await deadLetter(message, `consumer error: ${errorMessage(err)}`);
      return { outcome: parked ? ('dead_lettered' as const) : ('interrupted' as const), type: 'unknown' };
    });
    endTimer();
    if (outcome === 'interrupted') return;
    metrics.consumed.inc({ topic: message.topic, type, result: outcome });
    // Not awaited: the client coalesces commits per partition and flushes them on close. If one is lost,
    // the message is redelivered and the inbox skips it.
    Promise.resolve(message.commit()).catch((err: unknown) =>
      logger.warn({ err, topic: message.topic, partition: message.partition, offset: String(message.offset) }, 'offset commit failed'),
    );
  }

  async function processMessage(message: KafkaMessage): Promise<{ outcome: Outcome; type: string }> {
    const size = message.value?.length ?? 0;
    if (size > maxMessageBytes) {
      const reason = `message too large: ${size} bytes (limit ${maxMessageBytes})`;
      return { outcome: (await deadLetter(message, reason)) ? 'dead_lettered' : 'interrupted', type: 'invalid' };
    }
    let event: EventEnvelope;
    try {
      event = parseEnvelope(message.value);
    } catch (err) {
      if (!(err instanceof InvalidEventError)) throw err;
      return { outcome: (await deadLetter(message, err.reason)) ? 'dead_lettered' : 'interrupted', type: 'invalid' };
    }
    const { type, version } = event;
    const handler = Object.hasOwn(handlers, type) ? handlers[type] : undefined;
    if (!handler) return { outcome: 'skipped', type };
    const errors = dataErrors(registry, type, version, event.data);
    if (errors.length > 0) {
      const reason = `${type} v${version} ${errors.join('; ')}`;
      return { outcome: (await deadLetter(message, reason)) ? 'dead_lettered' : 'interrupted', type };
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const fresh = await runHandler(handler, event, message, attempt);
        return { outcome: fresh ? 'processed' : 'duplicate', type };
      } catch (err) {
        const where = { err, groupId, type, eventId: event.id, topic: message.topic, partition: message.partition, attempt };
        if (attempt >= maxAttempts) {
          const reason = `handler failed after ${attempt} attempts: ${errorMessage(err)}`;
          return { outcome: (await deadLetter(message, reason)) ? 'dead_lettered' : 'interrupted', type };
        }
        logger.warn(where, 'event handler failed; retrying');
        metrics.retries.inc({ topic: message.topic, type });
        if (!(await sleep(backoffDelay(backoffMs, attempt), stopping.signal))) return { outcome: 'interrupted', type };
      }
    }
  }

  /** Returns true when the event was handled now, false when this group had already handled it. */
  function runHandler(handler: EventHandler, event: EventEnvelope, message: KafkaMessage, attempt: number): Promise<boolean> {
    const traceparent = event.traceparent ?? message.headerEntries.find(([name]) => name.toString() === 'traceparent')?.[1].toString();
    const parent = traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
    const attributes = {
      'messaging.system': 'kafka',
      'messaging.destination.name': message.topic,
      'messaging.consumer.group.name': groupId,
      'messaging.message.id': event.id,
      'meridian.event.type': event.type,
    };
    return tracer.startActiveSpan(`process ${event.type}`, { kind: SpanKind.CONSUMER, attributes }, parent, async (span) => {
      try {
        const fresh = await sql.begin(async (tx) => {
          const inserted = await tx`
            insert into processed_messages (consumer, message_id) values (${groupId}, ${event.id})
            on conflict do nothing returning message_id`;
          if (inserted.length === 0) return false;
          const ctx = { topic: message.topic, partition: message.partition, offset: message.offset, attempt, groupId, logger };
          await handler(event, tx, ctx);
          return true;
        });
        // Inside the span: the line carries the event's trace id, so a trace's log search shows every hop.
        if (fresh) logger.info({ groupId, type: event.type, eventId: event.id, topic: message.topic, partition: message.partition }, 'event handled');
        return fresh;
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
        throw err;
      } finally {
        span.end();
      }
    });
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
        heartbeatInterval: 1_000,
        rebalanceTimeout: 30_000,
        maxWaitTime: 1_000,
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
      consumer.stopLagMonitoring();
      await stream?.close().catch((err: unknown) => logger.warn({ err, groupId }, 'closing the consumer stream failed'));
      await consumer.close();
      await dlqProducer?.close();
    },
  };
}
