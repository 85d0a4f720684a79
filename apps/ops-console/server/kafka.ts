import { randomUUID } from 'node:crypto';
import { Admin, Consumer, type Message } from '@platformatic/kafka';
import { dlqHeaders, replayDlqMessage } from '@meridian/messaging';
import { toFeedMessage } from '../../shared/server/liveFeed.ts';
import type { DeadLetter, GroupLag, TopicSummary } from '../types.ts';
import { kafkaConnection } from '@meridian/config';

const inNamespace = (ns: string) => (name: string) => name.startsWith(`${ns}.`);

/** Kafka reads for the ops console, scoped to the topics and groups of namespace `ns`. */
export function createKafkaInspector({ brokers, ns }: { brokers: string[]; ns: string }) {
  const clientId = `${ns}.ops-console`;
  const connection = kafkaConnection(brokers);

  async function withClients<T>(fn: (admin: Admin, offsets: Consumer) => Promise<T>): Promise<T> {
    const admin = new Admin({ clientId, ...connection });
    // Only used for ListOffsets, which needs no group membership.
    const offsets = new Consumer({ clientId, groupId: `${clientId}.offsets`, ...connection });
    try {
      return await fn(admin, offsets);
    } finally {
      await Promise.allSettled([admin.close(), offsets.close(true)]);
    }
  }

  async function offsetRanges(consumer: Consumer, topics: string[]) {
    if (topics.length === 0) return { start: new Map<string, bigint[]>(), end: new Map<string, bigint[]>() };
    const [start, end] = await Promise.all([consumer.listOffsets({ topics, timestamp: -2n }), consumer.listOffsets({ topics })]);
    return { start, end };
  }

  return {
    async overview(): Promise<{ topics: TopicSummary[]; groups: GroupLag[] }> {
      return withClients(async (admin, consumer) => {
        const topics = (await admin.listTopics()).filter(inNamespace(ns)).sort();
        const { start, end } = await offsetRanges(consumer, topics);
        const summaries = topics.map((name) => {
          const ends = end.get(name) ?? [];
          const starts = start.get(name) ?? [];
          return {
            name,
            partitions: ends.length,
            messages: ends.reduce((sum, e, i) => sum + Number(e - (starts[i] ?? 0n)), 0),
            endOffset: ends.reduce((sum, e) => sum + Number(e), 0),
            deadLetter: name.endsWith('.dlq'),
          };
        });

        const groupIds = [...(await admin.listGroups()).keys()].filter(inNamespace(ns)).sort();
        if (groupIds.length === 0) return { topics: summaries, groups: [] };
        const [described, committed] = await Promise.all([
          admin.describeGroups({ groups: groupIds }),
          admin.listConsumerGroupOffsets({ groups: groupIds }),
        ]);
        const groups = committed.map(({ groupId, topics: groupTopics }) => {
          const lags = groupTopics.map(({ name, partitions }) => {
            const ends = end.get(name) ?? [];
            const rows = partitions
              .filter((p) => p.committedOffset >= 0n)
              .map((p) => {
                const partitionEnd = Number(ends[p.partitionIndex] ?? 0n);
                const at = Number(p.committedOffset);
                return { partition: p.partitionIndex, committed: at, end: partitionEnd, lag: Math.max(0, partitionEnd - at) };
              });
            return { topic: name, lag: rows.reduce((sum, r) => sum + r.lag, 0), partitions: rows };
          });
          const group = described.get(groupId);
          return {
            groupId,
            state: group?.state ?? 'Unknown',
            members: group?.members.size ?? 0,
            topics: lags,
            totalLag: lags.reduce((sum, t) => sum + t.lag, 0),
          };
        });
        return { topics: summaries, groups };
      });
    },

    /** The newest `perPartition` messages of every dead-letter topic of the namespace. */
    async deadLetters(perPartition = 100, timeoutMs = 8000): Promise<DeadLetter[]> {
      const admin = new Admin({ clientId, ...connection });
      const topics = await admin
        .listTopics()
        .then((all) => all.filter((name) => inNamespace(ns)(name) && name.endsWith('.dlq')))
        .finally(() => admin.close());
      const reader = new Consumer({ clientId, groupId: `${clientId}.dlq-reader.${randomUUID()}`, ...connection, autocommit: false });
      try {
        const { start, end } = await offsetRanges(reader, topics);
        const wanted: { topic: string; partition: number; offset: bigint }[] = [];
        const remaining = new Map<string, bigint>(); // `${topic}/${partition}` → last offset still to read
        for (const topic of topics) {
          (end.get(topic) ?? []).forEach((partitionEnd, partition) => {
            const first = (start.get(topic) ?? [])[partition] ?? 0n;
            const from = partitionEnd - BigInt(perPartition) > first ? partitionEnd - BigInt(perPartition) : first;
            wanted.push({ topic, partition, offset: from });
            if (partitionEnd > from) remaining.set(`${topic}/${partition}`, partitionEnd - 1n);
          });
        }
        if (remaining.size === 0) return [];
        const subscribed = [...new Set([...remaining.keys()].map((key) => key.slice(0, key.lastIndexOf('/'))))];
        const stream = await reader.consume({
          topics: subscribed,
          mode: 'manual',
          offsets: wanted.filter((w) => subscribed.includes(w.topic)),
          maxWaitTime: 200,
        });
        const found: DeadLetter[] = [];
        try {
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(resolve, timeoutMs); // show what was read rather than nothing
            stream.once('error', (err) => {
              clearTimeout(timer);
              reject(err);
            });
            stream.on('data', (message: Message) => {
              const key = `${message.topic}/${message.partition}`;
              const last = remaining.get(key);
              if (last === undefined || message.offset > last) return;
              found.push(toDeadLetter(message));
              if (message.offset === last) remaining.delete(key);
              if (remaining.size === 0) {
                clearTimeout(timer);
                resolve();
              }
            });
          });
        } finally {
          await stream.close().catch(() => undefined);
        }
        return found.sort((a, b) => b.failedAt.localeCompare(a.failedAt) || b.timestamp.localeCompare(a.timestamp));
      } finally {
        await reader.close(true).catch(() => undefined);
      }
    },

    /** Republishes a dead letter to its original topic; refuses topics outside the namespace's DLQs. */
    async replay(topic: string, partition: number, offset: string) {
      if (!inNamespace(ns)(topic) || !topic.endsWith('.dlq')) throw new RangeError(`${topic} is not a dead-letter topic of namespace ${ns}`);
      const written = await replayDlqMessage({ brokers, dlqTopic: topic, partition, offset, clientId: `${clientId}.dlq-replay` });
      return { topic: written.topic, partition: written.partition, offset: written.offset.toString() };
    },
  };
}
export type KafkaInspector = ReturnType<typeof createKafkaInspector>;

export function toDeadLetter(message: Message): DeadLetter {
  const feed = toFeedMessage(message);
  const envelope = (feed.value && typeof feed.value === 'object' ? feed.value : {}) as { type?: unknown; id?: unknown };
  const h = feed.headers;
  return {
    topic: feed.topic,
    partition: feed.partition,
    offset: feed.offset,
    key: feed.key,
    timestamp: feed.timestamp,
    reason: h[dlqHeaders.reason] ?? '',
    originalTopic: h[dlqHeaders.originalTopic] ?? '',
    originalPartition: h[dlqHeaders.originalPartition] ?? '',
    originalOffset: h[dlqHeaders.originalOffset] ?? '',
    consumer: h[dlqHeaders.consumer] ?? '',
    failedAt: h[dlqHeaders.failedAt] ?? feed.timestamp,
    eventType: h['event-type'] ?? (typeof envelope.type === 'string' ? envelope.type : ''),
    eventId: typeof envelope.id === 'string' ? envelope.id : '',
    value: feed.value,
    headers: h,
  };
}
