// The inbox transaction: an event's id is recorded in `processed_messages` and its handler runs in
// the same transaction, so an effect happens once per consumer group however often Kafka delivers it.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import type postgres from 'postgres';
import type { EventEnvelope } from './envelope.ts';
import { errorMessage, type Logger } from './support.ts';
import type { HandleVerdict, KafkaMessage } from './verdict.ts';

const tracer = trace.getTracer('@meridian/messaging');

/**
 * A batch waits at most this long for a row lock, then rolls back and is split up (single messages
 * wait as long as it takes). A batch holds its locks longer than one message would, so two batches
 * locking the same rows in different orders would otherwise deadlock until PostgreSQL's 1 s detection.
 */
const batchLockTimeoutMs = 50;

export interface EventSpan {
  span: Span;
  context: Context;
}

/** A batch whose transaction rolled back; `failedAt` is the message whose handler threw, if one did. */
export class BatchRolledBack extends Error {
  readonly failedAt: number | undefined;
  readonly spans: EventSpan[];
  constructor(failedAt: number | undefined, spans: EventSpan[], cause: unknown) {
    super('batch rolled back', { cause });
    this.failedAt = failedAt;
    this.spans = spans;
  }
}

export interface Inbox {
  /** Handles one event in its own transaction and span; true when handled now, false for a duplicate. */
  handleOne(verdict: HandleVerdict, message: KafkaMessage, attempt: number): Promise<boolean>;
  /**
   * Handles consecutive events in one transaction, taking no further one after `maxMs`; returns, per
   * event taken, whether it was handled now, with the spans to end. Throws `BatchRolledBack`.
   */
  handleBatch(batch: { verdict: HandleVerdict; message: KafkaMessage }[], maxMs: number): Promise<{ fresh: boolean[]; spans: EventSpan[] }>;
  /**
   * Logs the handled event in its span: at info under `ACCESS_LOG=all`, else at debug (like a fast
   * successful request: the event is in its span and the consumer metrics; the handler logs the
   * business decision it took at info).
   */
  logHandled(event: EventEnvelope, message: KafkaMessage): void;
}

/** `info` when `ACCESS_LOG=all` asks for a line per request and per handled event, else `debug`. */
export function handledEventLevel(env: Record<string, string | undefined> = process.env): 'info' | 'debug' {
  return env.ACCESS_LOG === 'all' ? 'info' : 'debug';
}

export function createInbox(options: { sql: postgres.Sql; groupId: string; logger: Logger; handledLevel?: 'info' | 'debug' }): Inbox {
  const { sql, groupId, logger, handledLevel = handledEventLevel() } = options;

  /**
   * A consumer span whose parent is the relay's send span (the message's `traceparent` header) or, for
   * a message without one, the trace the event was written in.
   */
  function startSpan(event: EventEnvelope, message: KafkaMessage): EventSpan {
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

  async function apply(tx: postgres.TransactionSql, { event, handler }: HandleVerdict, message: KafkaMessage, attempt: number): Promise<boolean> {
    const inserted = await tx`
      insert into processed_messages (consumer, message_id) values (${groupId}, ${event.id})
      on conflict do nothing returning message_id`;
    if (inserted.length === 0) return false;
    await handler(event, tx, { topic: message.topic, partition: message.partition, offset: message.offset, attempt, groupId, logger });
    return true;
  }

  function logHandled(event: EventEnvelope, message: KafkaMessage) {
    logger[handledLevel]({ groupId, type: event.type, eventId: event.id, topic: message.topic, partition: message.partition }, 'event handled');
  }

  return {
    async handleOne(verdict, message, attempt) {
      const { span, context: spanContext } = startSpan(verdict.event, message);
      try {
        const fresh = await context.with(spanContext, () => sql.begin((tx) => apply(tx, verdict, message, attempt)));
        if (fresh) context.with(spanContext, () => logHandled(verdict.event, message));
        return fresh;
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
        throw err;
      } finally {
        span.end();
      }
    },

    async handleBatch(batch, maxMs) {
      const started = performance.now();
      const spans: EventSpan[] = [];
      let failedAt: number | undefined;
      try {
        const fresh = await sql.begin(async (tx) => {
          await tx`select set_config('lock_timeout', ${`${batchLockTimeoutMs}ms`}, true)`;
          const results: boolean[] = [];
          for (const [i, { verdict, message }] of batch.entries()) {
            if (i > 0 && performance.now() - started >= maxMs) break;
            const span = startSpan(verdict.event, message);
            spans.push(span);
            try {
              results.push(await context.with(span.context, () => apply(tx, verdict, message, 1)));
            } catch (err) {
              failedAt = i;
              throw err;
            }
          }
          return results;
        });
        return { fresh, spans };
      } catch (err) {
        throw new BatchRolledBack(failedAt, spans, err);
      }
    },

    logHandled,
  };
}
