import { randomUUID } from 'node:crypto';
import { Consumer, type Message, ProduceAcks, Producer } from '@platformatic/kafka';
import { parseBrokers } from './topics.ts';

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
  brokers: string | string[];
  dlqTopic: string;
  partition: number;
  offset: bigint | number | string;
  timeoutMs?: number;
}): Promise<ReplayedMessage> {
  const bootstrapBrokers = parseBrokers(options.brokers);
  const offset = BigInt(options.offset);
  const deadLetter = await readOne(bootstrapBrokers, options.dlqTopic, options.partition, offset, options.timeoutMs ?? 10_000);
  const headerText = (name: string) => deadLetter.headerEntries.find(([k]) => k.toString() === name)?.[1].toString();
  const topic = headerText('dlq-original-topic');
  if (!topic) throw new Error(`${options.dlqTopic}/${options.partition}/${offset} has no dlq-original-topic header`);
  const headers = new Map(deadLetter.headerEntries.filter(([k]) => !k.toString().startsWith('dlq-')));
  const producer = new Producer({ clientId: 'meridian.dlq-replay', bootstrapBrokers, idempotent: true, acks: ProduceAcks.ALL });
  try {
    const result = await producer.send({ messages: [{ topic, key: deadLetter.key, value: deadLetter.value, headers }] });
    const written = result.offsets?.[0];
    if (!written) throw new Error(`Replay to ${topic} was not acknowledged`);
    return written;
  } finally {
    await producer.close();
  }
}

async function readOne(bootstrapBrokers: string[], topic: string, partition: number, offset: bigint, timeoutMs: number): Promise<Message> {
  const consumer = new Consumer({ clientId: 'meridian.dlq-replay', groupId: `meridian.dlq-replay.${randomUUID()}`, bootstrapBrokers, autocommit: false });
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
