import { setTimeout as sleep } from 'node:timers/promises';
import { Admin, Consumer, type Message, type MessagesStream } from '@platformatic/kafka';
import type { Logger } from '@meridian/log';
import type { FeedMessage } from '../feedMessage.ts';
import { kafkaConnection } from '@meridian/config';

export type { FeedMessage };

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
  /** Messages per partition read from before the end when following starts (default 0: new ones only). */
  backlog?: number;
  /** How long the feed keeps following after its last viewer left (default 30 s). */
  lingerMs?: number;
}

export interface LiveFeed {
  /**
   * A viewer arrived: follows the topics if nobody did. Resolves once the feed's starting offsets are
   * fixed, so every message published after that reaches `onMessage`; call the returned function when
   * the viewer leaves.
   */
  acquire(): Promise<() => void>;
  stop(): Promise<void>;
}

/**
 * Follows `topics` only while somebody watches (an idle platform has no consumer fetching for a view
 * nobody sees), in a group of its own that never commits: an ephemeral fan-out for live views, not a
 * processing consumer. It starts at the end offsets read when the first viewer arrives (less
 * `backlog`), and stops `lingerMs` after the last viewer left. Missing topics and broker failures are
 * retried in the background; the view then resumes from the then-latest offsets.
 */
export function createLiveFeed({ brokers, topics, groupId, logger, onMessage, retryMs = 3000, backlog = 0, lingerMs = 30_000 }: LiveFeedOptions): LiveFeed {
  let viewers = 0;
  let session: { controller: AbortController; positioned: Promise<void>; running: Promise<void> } | undefined;
  let lingerTimer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function existingTopics(admin: Admin): Promise<string[]> {
    const existing = new Set(await admin.listTopics());
    return topics.filter((topic) => existing.has(topic));
  }

  /** Where to start: each partition's end less `backlog` (never before its start). */
  async function startOffsets(consumer: Consumer<Buffer, Buffer, Buffer, Buffer>, subscribed: string[]) {
    const [ends, starts] = await Promise.all([
      consumer.listOffsets({ topics: subscribed }),
      backlog > 0 ? consumer.listOffsets({ topics: subscribed, timestamp: -2n }) : Promise.resolve(new Map<string, bigint[]>()),
    ]);
    return subscribed.flatMap((topic) =>
      (ends.get(topic) ?? []).map((end, partition) => {
        const first = starts.get(topic)?.[partition] ?? 0n;
        const from = end - BigInt(backlog);
        return { topic, partition, offset: from > first ? from : first };
      }),
    );
  }

  /** Follows until aborted; `positioned` settles once the starting offsets are fixed (or following failed). */
  function follow(signal: AbortSignal, positioned: () => void): Promise<void> {
    return (async () => {
      while (!signal.aborted) {
        const admin = new Admin({ clientId: groupId, ...kafkaConnection(brokers) });
        const consumer = new Consumer({ clientId: groupId, groupId, ...kafkaConnection(brokers), autocommit: false, maxWaitTime: 500 });
        let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
        try {
          const subscribed = await existingTopics(admin);
          if (subscribed.length === 0) {
            logger.info({ topics }, 'live feed waiting for its topics');
            positioned();
          } else {
            const offsets = await startOffsets(consumer, subscribed);
            positioned();
            stream = await consumer.consume({ topics: subscribed, mode: 'manual', offsets });
            // The stream's error, or the client's when it gives up rejoining (unheard, that one would end the process).
            const failed = new Promise<void>((_resolve, reject) => {
              stream!.once('error', reject);
              consumer.on('error', reject);
            });
            failed.catch(() => undefined); // observed through the race below
            stream.on('data', (message: Message) => onMessage(toFeedMessage(message)));
            logger.debug({ topics: subscribed, groupId }, 'live feed following');
            // Re-check now and then for topics that did not exist yet; resubscribe when they appear.
            while (!signal.aborted) {
              await Promise.race([failed, sleep(subscribed.length < topics.length ? retryMs * 3 : 3_600_000, undefined, { signal }).catch(() => undefined)]);
              if (signal.aborted || subscribed.length === topics.length) continue;
              if ((await existingTopics(admin)).length > subscribed.length) break;
            }
            if (signal.aborted) return;
            continue;
          }
        } catch (err) {
          positioned();
          if (!signal.aborted) logger.warn({ err, groupId }, 'live feed interrupted; retrying');
        } finally {
          await stream?.close().catch(() => undefined);
          await consumer.close(true).catch(() => undefined);
          await admin.close().catch(() => undefined);
        }
        await sleep(retryMs, undefined, { signal }).catch(() => undefined);
      }
    })();
  }

  function startFollowing() {
    const controller = new AbortController();
    let markPositioned!: () => void;
    const positioned = new Promise<void>((resolve) => (markPositioned = resolve));
    session = { controller, positioned, running: follow(controller.signal, markPositioned) };
    logger.info({ topics, groupId }, 'live feed started: a viewer arrived');
  }

  async function stopFollowing() {
    const current = session;
    session = undefined;
    if (!current) return;
    current.controller.abort();
    await current.running;
    logger.info({ groupId }, 'live feed stopped: no viewer left');
  }

  return {
    async acquire() {
      if (stopped) throw new Error('live feed stopped');
      viewers += 1;
      clearTimeout(lingerTimer);
      lingerTimer = undefined;
      if (!session) startFollowing();
      await session!.positioned;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        viewers -= 1;
        if (viewers > 0 || stopped) return;
        lingerTimer = setTimeout(() => void stopFollowing(), lingerMs);
        lingerTimer.unref();
      };
    },
    async stop() {
      stopped = true;
      clearTimeout(lingerTimer);
      await stopFollowing();
    },
  };
}
