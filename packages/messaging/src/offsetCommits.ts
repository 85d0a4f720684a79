import type { KafkaMessage } from './verdict.ts';
import type { Logger } from './support.ts';

export interface OffsetCommits {
  /** A message whose effect (or dead letter) is durable: its offset may be committed. */
  done(message: KafkaMessage): void;
  /** Commits every pending offset now (on stop). */
  flush(): void;
}

/**
 * Commits, per partition, the newest handled offset at most every `intervalMs` (0: each at once).
 * Offsets of a partition only grow, so the newest covers the ones before it. After a crash the
 * messages of the last interval are delivered again, and the inbox skips them.
 */
export function createOffsetCommits(options: { intervalMs: number; logger: Logger }): OffsetCommits {
  const pending = new Map<string, KafkaMessage>();
  let timer: NodeJS.Timeout | undefined;

  function commit(message: KafkaMessage) {
    // Not awaited: the client coalesces commits per partition. A lost one means a redelivery the inbox skips.
    Promise.resolve(message.commit()).catch((err: unknown) =>
      options.logger.warn({ err, topic: message.topic, partition: message.partition, offset: String(message.offset) }, 'offset commit failed'),
    );
  }

  function flush() {
    clearTimeout(timer);
    timer = undefined;
    for (const message of pending.values()) commit(message);
    pending.clear();
  }

  return {
    done(message) {
      if (options.intervalMs <= 0) return commit(message);
      pending.set(`${message.topic}:${message.partition}`, message);
      timer ??= setTimeout(flush, options.intervalMs);
    },
    flush,
  };
}
