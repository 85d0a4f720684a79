// Dead letters: a message that cannot be handled is copied to `<topic>.dlq` with the reason in its
// headers, so its partition keeps flowing; a person can replay it once the cause is fixed.
import { randomUUID } from 'node:crypto';
import { Consumer, type Message, ProduceAcks, Producer } from '@platformatic/kafka';
import { backoffDelay, type Logger, sleep } from './support.ts';
import { dlqTopic } from './topics.ts';
import { kafkaConnection, type KafkaBrokers, type KafkaConnection } from '@meridian/config';

/** The headers a dead letter carries besides the original ones; all start with `dlq-`. */
export const dlqHeaders = {
  reason: 'dlq-reason',
  originalTopic: 'dlq-original-topic',
  originalPartition: 'dlq-original-partition',
  originalOffset: 'dlq-original-offset',
  consumer: 'dlq-consumer',
  failedAt: 'dlq-failed-at',
} as const;
const dlqHeaderPrefix = 'dlq-';

type KafkaMessage = Message<Buffer, Buffer, Buffer, Buffer>;

export interface DeadLetterQueue {
  /** Copies `message` to `<topic>.dlq` with `reason`, retrying until it lands; false only when `signal` stopped it first. */
  send(message: KafkaMessage, reason: string): Promise<boolean>;
  close(): Promise<void>;
}

/** The dead-letter side of one consumer group. */
export function createDeadLetterQueue(options: {
  connection: KafkaConnection;
  clientId: string;
  groupId: string;
  logger: Logger;
  backoffMs: number;
  signal: AbortSignal;
  onSent(message: KafkaMessage): void;
}): DeadLetterQueue {
  const { groupId, logger, signal } = options;
  const producer = new Producer({ clientId: options.clientId, ...options.connection, idempotent: true, acks: ProduceAcks.ALL });
  return {
    async send(message, reason) {
      const headers = new Map<Buffer, Buffer>(message.headerEntries);
      const add = (name: string, value: string) => headers.set(Buffer.from(name), Buffer.from(value));
      add(dlqHeaders.reason, reason);
      add(dlqHeaders.originalTopic, message.topic);
      add(dlqHeaders.originalPartition, String(message.partition));
      add(dlqHeaders.originalOffset, String(message.offset));
      add(dlqHeaders.consumer, groupId);
      add(dlqHeaders.failedAt, new Date().toISOString());
      const topic = dlqTopic(message.topic);
      for (let attempt = 1; ; attempt++) {
        try {
          await producer.send({ messages: [{ topic, key: message.key, value: message.value, headers }] });
          options.onSent(message);
          logger.warn({ groupId, topic: message.topic, partition: message.partition, offset: String(message.offset), reason }, 'message dead-lettered');
          return true;
        } catch (err) {
          logger.error({ err, groupId, topic }, 'dead-letter publish failed; retrying');
          if (!(await sleep(backoffDelay(options.backoffMs, attempt), signal))) return false;
        }
      }
    },
    close: () => producer.close(),
  };
}

export interface ReplayedMessage {
  topic: string;
  partition: number;
  offset: bigint;
}

/**
 * Republishes one dead letter to the topic it came from (`dlq-original-topic`), with its original key,
 * value and headers (the `dlq-*` headers are dropped). The event keeps its id, and since a dead-lettered
 * event was never recorded as processed, the consumer handles it again.
 */
export async function replayDlqMessage(options: {
  brokers: KafkaBrokers;
  dlqTopic: string;
  partition: number;
  offset: bigint | number | string;
  timeoutMs?: number;
  /** The replaying client's id, and the start of its reader's group (`<clientId>.<uuid>`): one its login may use. */
  clientId?: string;
}): Promise<ReplayedMessage> {
  const connection = kafkaConnection(options.brokers);
  const clientId = options.clientId ?? 'meridian.dlq-replay';
  const offset = BigInt(options.offset);
  const deadLetter = await readOne(connection, clientId, options.dlqTopic, options.partition, offset, options.timeoutMs ?? 10_000);
  const headerText = (name: string) => deadLetter.headerEntries.find(([k]) => k.toString() === name)?.[1].toString();
  const topic = headerText(dlqHeaders.originalTopic);
  if (!topic) throw new Error(`${options.dlqTopic}/${options.partition}/${offset} has no ${dlqHeaders.originalTopic} header`);
  const headers = new Map(deadLetter.headerEntries.filter(([k]) => !k.toString().startsWith(dlqHeaderPrefix)));
  const producer = new Producer({ clientId, ...connection, idempotent: true, acks: ProduceAcks.ALL });
  try {
    const result = await producer.send({ messages: [{ topic, key: deadLetter.key, value: deadLetter.value, headers }] });
    const written = result.offsets?.[0];
    if (!written) throw new Error(`Replay to ${topic} was not acknowledged`);
    return written;
  } finally {
    await producer.close();
  }
}

async function readOne(connection: KafkaConnection, clientId: string, topic: string, partition: number, offset: bigint, timeoutMs: number): Promise<Message> {
  const consumer = new Consumer({ clientId, groupId: `${clientId}.${randomUUID()}`, ...connection, autocommit: false });
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'manual', offsets: [{ topic, partition, offset }] });
    try {
      const found = await new Promise<Message>((resolve, reject) => {
        timeout.addEventListener('abort', () => reject(new Error(`No message at ${topic}/${partition}/${offset}`)), { once: true });
        stream.on('error', reject);
        stream.on('data', (message: Message) => {
          if (message.partition === partition && message.offset === offset) resolve(message);
        });
      });
      return found;
    } finally {
      await stream.close();
    }
  } finally {
    await consumer.close();
  }
}
