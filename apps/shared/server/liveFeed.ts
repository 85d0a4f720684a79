import { setTimeout as sleep } from 'node:timers/promises';
import { Admin, Consumer, type Message, type MessagesStream } from '@platformatic/kafka';
import type { Logger } from '@meridian/log';

export interface FeedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  timestamp: string;
  headers: Record<string, string>;
  /** The record value, parsed as JSON when it is JSON (event envelopes are), else the text. */
  value: unknown;
}

export function toFeedMessage(message: Message): FeedMessage {
  const text = message.value?.toString() ?? '';
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  const headers: Record<string, string> = {};
  for (const [name, headerValue] of message.headerEntries) headers[name.toString()] = headerValue.toString();
  return {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset.toString(),
    key: message.key?.toString() ?? '',
    timestamp: new Date(Number(message.timestamp)).toISOString(),
    headers,
    value,
  };
}

export interface LiveFeedOptions {
  brokers: string[];
  /** Physical topic names; ones that do not exist yet are picked up once they do. */
  topics: string[];
  /** Unique per process: every instance sees every message. */
  groupId: string;
  logger: Logger;
  onMessage(message: FeedMessage): void;
  retryMs?: number;
}

/**
 * Follows `topics` from their end (new messages only) in a group of its own and never commits:
 * an ephemeral fan-out for live views, not a processing consumer. Missing topics and broker
 * failures are retried in the background; the view simply resumes from the then-latest offset.
 */
export function startLiveFeed({ brokers, topics, groupId, logger, onMessage, retryMs = 3000 }: LiveFeedOptions) {
  const controller = new AbortController();
  const { signal } = controller;

  async function existingTopics(): Promise<string[]> {
    const admin = new Admin({ clientId: groupId, bootstrapBrokers: brokers });
    try {
      const existing = new Set(await admin.listTopics());
      return topics.filter((topic) => existing.has(topic));
    } finally {
      await admin.close();
    }
  }

  async function follow(subscribed: string[]): Promise<void> {
    const consumer = new Consumer({ clientId: groupId, groupId, bootstrapBrokers: brokers, autocommit: false, maxWaitTime: 500 });
    let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
    try {
      stream = await consumer.consume({ topics: subscribed, mode: 'latest' });
      const failed = new Promise<void>((_resolve, reject) => stream!.once('error', reject));
      failed.catch(() => undefined); // observed through the race below
      stream.on('data', (message: Message) => onMessage(toFeedMessage(message)));
      logger.info({ topics: subscribed, groupId }, 'live feed following');
      // Re-check now and then for topics that did not exist yet; resubscribe when they appear.
      while (!signal.aborted) {
        await Promise.race([failed, sleep(subscribed.length < topics.length ? retryMs * 3 : 3_600_000, undefined, { signal }).catch(() => undefined)]);
        if (signal.aborted || subscribed.length === topics.length) continue;
        if ((await existingTopics()).length > subscribed.length) return;
      }
    } finally {
      await stream?.close().catch(() => undefined);
      await consumer.close(true).catch(() => undefined);
    }
  }

  const running = (async () => {
    while (!signal.aborted) {
      try {
        const subscribed = await existingTopics();
        if (subscribed.length === 0) logger.info({ topics }, 'live feed waiting for its topics');
        else await follow(subscribed);
      } catch (err) {
        if (!signal.aborted) logger.warn({ err, groupId }, 'live feed interrupted; retrying');
      }
      await sleep(retryMs, undefined, { signal }).catch(() => undefined);
    }
  })();

  return {
    async stop(): Promise<void> {
      controller.abort();
      await running;
    },
  };
}
