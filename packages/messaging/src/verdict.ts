import type { Message } from '@platformatic/kafka';
import type { EventHandler } from './consumer.ts';
import { dataErrors, type EventEnvelope, InvalidEventError, parseEnvelope, type SchemaRegistry } from './envelope.ts';
import { errorMessage, type Logger } from './support.ts';

export type KafkaMessage = Message<Buffer, Buffer, Buffer, Buffer>;

/** What a message calls for, decided once before it is handled. */
export type Verdict =
  | { kind: 'handle'; type: string; event: EventEnvelope; handler: EventHandler }
  | { kind: 'skip'; type: string }
  | { kind: 'dead_letter'; type: string; reason: string };

export type HandleVerdict = Extract<Verdict, { kind: 'handle' }>;

/**
 * Decides what a message calls for: its handler, a skip (a type this group does not handle) or the
 * dead-letter topic (too large, not an envelope, or data that breaks its version's schema).
 */
export function judge(
  message: KafkaMessage,
  options: { handlers: Record<string, EventHandler>; registry: SchemaRegistry; maxMessageBytes: number; groupId: string; logger: Logger },
): Verdict {
  try {
    const size = message.value?.length ?? 0;
    if (size > options.maxMessageBytes) return { kind: 'dead_letter', type: 'invalid', reason: `message too large: ${size} bytes (limit ${options.maxMessageBytes})` };
    let event: EventEnvelope;
    try {
      event = parseEnvelope(message.value);
    } catch (err) {
      if (!(err instanceof InvalidEventError)) throw err;
      return { kind: 'dead_letter', type: 'invalid', reason: err.reason };
    }
    const { type, version } = event;
    const handler = Object.hasOwn(options.handlers, type) ? options.handlers[type] : undefined;
    if (!handler) return { kind: 'skip', type };
    const errors = dataErrors(options.registry, type, version, event.data);
    if (errors.length > 0) return { kind: 'dead_letter', type, reason: `${type} v${version} ${errors.join('; ')}` };
    return { kind: 'handle', type, event, handler };
  } catch (err) {
    // A bug or a broken schema rather than a bad message; park it rather than crash or skip it.
    options.logger.error({ err, groupId: options.groupId, topic: message.topic, partition: message.partition }, 'consumer failed to process a message');
    return { kind: 'dead_letter', type: 'unknown', reason: `consumer error: ${errorMessage(err)}` };
  }
}
