import { ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka';
import { Counter, register as globalRegistry } from 'prom-client';
import type { Registry } from 'prom-client';
import { kafkaConnection, type KafkaBrokers } from '@meridian/config';

/** Logical Kafka topic of shipped log lines; the physical topic is `<ns>.platform.logs`. */
export const logsTopic = 'platform.logs';

/** Settings of the log topic for whoever creates it: lines are kept 3 days (the index keeps them longer). */
export const logsTopicSettings = { name: logsTopic, partitions: 3, retentionMs: 3 * 24 * 60 * 60 * 1000, cleanupPolicy: 'delete' } as const;

/** Where a batch of log lines goes; `send` rejects when the batch was not delivered. */
export interface LogTransport {
  send(lines: string[]): Promise<void>;
  close(): Promise<void>;
}

export const dropReasons = ['overflow', 'send_failed', 'too_large', 'shutdown'] as const;
export type DropReason = (typeof dropReasons)[number];

export interface LogShipperOptions {
  transport: LogTransport;
  /** Lines kept while Kafka is slow or down; beyond it the oldest are dropped (default 10 000). */
  capacity?: number;
  /** Most lines per send (default 500). */
  batchSize?: number;
  /** Most characters per send, about the bytes of JSON lines (default 512 Ki). */
  maxBatchBytes?: number;
  /** Longer lines are dropped (default 256 KiB). */
  maxLineBytes?: number;
  /** How often buffered lines are sent (default 250 ms). */
  flushIntervalMs?: number;
  /** Metrics registry (default: prom-client's global one). */
  registry?: Registry;
}

export interface LogShipperStats {
  buffered: number;
  sent: number;
  dropped: number;
}

export interface LogShipper {
  /** Buffers one serialized line (a pino destination); never blocks or throws. */
  write(line: string): boolean;
  /** Sends what is buffered, waiting at most `timeoutMs`. */
  flush(timeoutMs?: number): Promise<void>;
  /** Flushes (at most `timeoutMs`), drops and counts the rest, and closes the transport. */
  close(timeoutMs?: number): Promise<void>;
  stats(): LogShipperStats;
}

const maxBackoffMs = 30_000;

/** Fixed-capacity FIFO of strings; pushing onto a full ring evicts the oldest entry. */
export class LineRing {
  readonly capacity: number;
  #items: (string | undefined)[];
  #head = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('ring capacity must be a positive integer');
    this.capacity = capacity;
    this.#items = new Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** Adds `item`; returns true when the oldest entry was evicted to make room. */
  push(item: string): boolean {
    const evicted = this.#size === this.capacity;
    this.#items[(this.#head + this.#size) % this.capacity] = item;
    if (evicted) this.#head = (this.#head + 1) % this.capacity;
    else this.#size += 1;
    return evicted;
  }

  /** Removes and returns the oldest entry. */
  shift(): string | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.capacity;
    this.#size -= 1;
    return item;
  }

  peek(): string | undefined {
    return this.#size === 0 ? undefined : this.#items[this.#head];
  }
}

function counter(registry: Registry, name: string, help: string, labelNames: string[] = []): Counter {
  return (registry.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

/**
 * Buffers log lines in a bounded ring and sends them in batches, one send at a time. Lines are
 * sent at most once: a failed batch is dropped and counted, never resent. After a failure sending
 * pauses with exponential backoff while the ring keeps the newest lines.
 */
export function createLogShipper(options: LogShipperOptions): LogShipper {
  const { transport, batchSize = 500, maxBatchBytes = 512 * 1024, maxLineBytes = 256 * 1024, flushIntervalMs = 250 } = options;
  const registry = options.registry ?? globalRegistry;
  const metrics = {
    sent: counter(registry, 'log_shipping_sent_total', 'Log lines shipped to Kafka'),
    dropped: counter(registry, 'log_shipping_dropped_total', 'Log lines dropped instead of shipped, by reason', ['reason']),
  };
  // Every reason starts at 0, so rate() and alerts see the series before the first drop.
  for (const reason of dropReasons) metrics.dropped.inc({ reason }, 0);
  const ring = new LineRing(options.capacity ?? 10_000);
  let sent = 0;
  let dropped = 0;
  let sending: Promise<void> | undefined;
  let failures = 0;
  let pausedUntil = 0;
  let timer: NodeJS.Timeout | undefined;
  let pumpScheduled = false;
  let closed = false;

  function drop(reason: DropReason, count = 1) {
    dropped += count;
    metrics.dropped.inc({ reason }, count);
  }

  function takeBatch(): string[] {
    const batch: string[] = [];
    let bytes = 0;
    while (batch.length < batchSize) {
      const next = ring.peek();
      if (next === undefined || (batch.length > 0 && bytes + next.length > maxBatchBytes)) break;
      ring.shift();
      batch.push(next);
      bytes += next.length;
    }
    return batch;
  }

  /** Starts one send unless one is running, sending is paused (and not `force`d) or nothing is buffered. */
  function pump(force = false): Promise<void> | undefined {
    if (sending || ring.size === 0 || (!force && Date.now() < pausedUntil)) return sending;
    const batch = takeBatch();
    sending = transport
      .send(batch)
      .then(
        () => {
          sent += batch.length;
          metrics.sent.inc(batch.length);
          failures = 0;
          pausedUntil = 0;
        },
        () => {
          drop('send_failed', batch.length);
          failures += 1;
          pausedUntil = Date.now() + Math.min(maxBackoffMs, 250 * 2 ** failures);
        },
      )
      .finally(() => {
        sending = undefined;
        if (!closed && ring.size >= batchSize) setImmediate(pump);
      });
    return sending;
  }

  /** A timer only while lines wait: an idle process has none ticking. */
  function scheduleFlush() {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      pump();
      if (ring.size > 0) scheduleFlush();
    }, flushIntervalMs);
    timer.unref();
  }

  async function flush(timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((ring.size > 0 || sending) && Date.now() < deadline) {
      const inFlight = pump(true);
      if (!inFlight) break;
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([inFlight, new Promise((resolve) => (timeout = setTimeout(resolve, deadline - Date.now())))]);
      clearTimeout(timeout);
    }
  }

  return {
    write(line) {
      try {
        if (closed) {
          drop('shutdown');
          return true;
        }
        if (Buffer.byteLength(line) > maxLineBytes) {
          drop('too_large');
          return true;
        }
        if (ring.push(line.endsWith('\n') ? line.slice(0, -1) : line)) drop('overflow');
        scheduleFlush();
        // A full batch goes out soon, but never inside the caller's log call.
        if (ring.size >= batchSize && !sending && !pumpScheduled) {
          pumpScheduled = true;
          setImmediate(() => {
            pumpScheduled = false;
            pump();
          });
        }
      } catch {
        // Shipping must never break the caller; the line still reached stdout.
      }
      return true;
    },
    flush,
    async close(timeoutMs = 2000) {
      if (closed) return;
      const deadline = Date.now() + timeoutMs;
      closed = true;
      clearTimeout(timer);
      await flush(timeoutMs);
      if (ring.size > 0) drop('shutdown', ring.size);
      while (ring.shift() !== undefined);
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([
        transport.close().catch(() => {}),
        new Promise((resolve) => (timeout = setTimeout(resolve, Math.max(0, deadline - Date.now())))),
      ]);
      clearTimeout(timeout);
    },
    stats: () => ({ buffered: ring.size, sent, dropped }),
  };
}

export interface KafkaLogTransportOptions {
  brokers: KafkaBrokers;
  /** Physical topic, e.g. `dev.platform.logs`. */
  topic: string;
  /** Kafka key of every line: the service name, so one service's lines stay in order. */
  key: string;
  clientId?: string;
}

/**
 * Sends batches with acks=1 and no retries (a retried produce could store a line twice). The
 * producer is created on the first send; a missing topic fails the send (it is never auto-created).
 */
export function kafkaLogTransport(options: KafkaLogTransportOptions): LogTransport {
  let producer: Producer<string, string, string, string> | undefined;
  return {
    async send(lines) {
      producer ??= new Producer({
        clientId: options.clientId ?? `${options.key}.log-shipper`,
        ...kafkaConnection(options.brokers),
        serializers: stringSerializers,
        acks: ProduceAcks.LEADER,
        idempotent: false,
        autocreateTopics: false,
        retries: 0,
        connectTimeout: 2000,
        timeout: 5000,
      });
      await producer.send({ messages: lines.map((value) => ({ topic: options.topic, key: options.key, value })) });
    },
    async close() {
      await producer?.close(true);
    },
  };
}

/** Log lines of `service` go to Kafka `<ns>.platform.logs` with the service name as key. */
export function createKafkaLogShipper(
  options: { brokers: KafkaBrokers; ns: string; service: string } & Omit<LogShipperOptions, 'transport'>,
): LogShipper {
  const { brokers, ns, service, ...rest } = options;
  return createLogShipper({ ...rest, transport: kafkaLogTransport({ brokers, topic: `${ns}.${logsTopic}`, key: service }) });
}

/**
 * Whether `service` ships its logs: `LOG_SHIPPING=kafka` turns shipping on, any other set value
 * (e.g. `off`) turns it off; unset, it is on when `KAFKA_BROKERS` is set, except for the logging
 * service itself (which would otherwise index its own indexing).
 */
export function logShippingEnabled(service: string, env: Record<string, string | undefined> = process.env): boolean {
  const mode = env.LOG_SHIPPING?.trim();
  if (mode) return mode === 'kafka';
  return Boolean(env.KAFKA_BROKERS?.trim()) && service !== 'logging';
}
