import { Admin, Consumer, Producer, stringSerializers, type Message } from '@platformatic/kafka';
import { createEnvelope, type EventEnvelope } from '@meridian/messaging';
import { infra, uniqueName, waitFor } from './index.ts';

/** Publishes envelopes to Kafka the way the outbox relay does (key, JSON value, headers). */
export function createTestProducer() {
  const producer = new Producer({
    clientId: uniqueName('test_producer'),
    ...infra().kafka,
    serializers: stringSerializers,
  });
  return {
    async send(topic: string, ...envelopes: EventEnvelope[]): Promise<void> {
      await producer.send({
        messages: envelopes.map((e) => ({
          topic,
          key: e.key,
          value: JSON.stringify(e),
          headers: { 'event-type': e.type, 'event-version': String(e.version) },
        })),
      });
    },
    close: () => producer.close(),
  };
}

/** A contract envelope for a test to publish; `source` names the pretended producer. */
export function envelope(type: string, version: number, key: string, data: object, source = 'test'): EventEnvelope {
  return createEnvelope({ type, version, source, key, data });
}

/** Collects every event of a topic from the beginning into `events` until `close()`. */
export async function startReading(topic: string) {
  const consumer = new Consumer({
    clientId: uniqueName('test_reader'),
    groupId: uniqueName('test_reader'),
    ...infra().kafka,
    autocommit: false,
    maxWaitTime: 200,
  });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
  const events: EventEnvelope<any>[] = [];
  stream.on('data', (m: Message<Buffer, Buffer, Buffer, Buffer>) => events.push(JSON.parse(m.value.toString())));
  const waitLong = <T>(fn: () => T, message: string) => waitFor(fn, { timeoutMs: 20_000, message });
  return {
    events,
    /** The events seen so far of `type` whose data matches. */
    where: (type: string, match: (data: any) => boolean = () => true) =>
      events.filter((e) => e.type === type && match(e.data)),
    waitFor: waitLong,
    /** Waits for an event matching `match` and returns it. */
    find: (match: (e: EventEnvelope<any>) => boolean, message: string) => waitLong(() => events.find(match), message),
    async close() {
      await stream.close();
      await consumer.close();
    },
  };
}

/** Removes every topic of a test namespace (`<ns>.*`, DLQs included). */
export async function deleteNamespaceTopics(ns: string): Promise<void> {
  const admin = new Admin({ clientId: uniqueName('test_admin'), ...infra().kafka });
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${ns}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.close();
  }
}
