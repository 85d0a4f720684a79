import type { KafkaMessage, Verdict } from './verdict.ts';

export interface Queued {
  message: KafkaMessage;
  /** The stream it came from; messages of a replaced stream are dropped (they are redelivered). */
  generation: number;
  verdict?: Verdict;
}

export interface PartitionQueues {
  push(message: KafkaMessage, generation: number): void;
  /** Settles when every partition's run in progress has finished. */
  idle(): Promise<void>;
}

/**
 * One queue per partition, each drained on its own, so a failing message holds back only its own
 * partition. Runs of consecutive messages that all go to a handler (at most `batchSize`) are handed
 * over together. Past `maxBuffered` messages in all queues the stream is paused, and resumed at half.
 */
export function createPartitionQueues(options: {
  batchSize: number;
  maxBuffered: number;
  judge(message: KafkaMessage): Verdict;
  currentGeneration(): number;
  pause(): void;
  resume(): void;
  /** Handles a run of messages; the queue waits for it before taking the next. */
  handle(run: Queued[]): Promise<void>;
  signal: AbortSignal;
}): PartitionQueues {
  const queues = new Map<string, { messages: Queued[]; draining: Promise<void> | undefined }>();
  let buffered = 0;
  let paused = false;

  function take(messages: Queued[]): Queued {
    const queued = messages.shift()!;
    buffered -= 1;
    if (paused && buffered <= options.maxBuffered / 2) {
      paused = false;
      options.resume();
    }
    return queued;
  }

  function nextRun(messages: Queued[]): Queued[] {
    const run: Queued[] = [];
    while (messages.length > 0 && run.length < options.batchSize) {
      const head = messages[0];
      if (head.generation !== options.currentGeneration()) {
        take(messages);
        continue;
      }
      head.verdict ??= options.judge(head.message);
      if (run.length > 0 && head.verdict.kind !== 'handle') break;
      run.push(take(messages));
      if (head.verdict.kind !== 'handle') break;
    }
    return run;
  }

  async function drain(messages: Queued[]) {
    while (messages.length > 0 && !options.signal.aborted) await options.handle(nextRun(messages));
  }

  return {
    push(message, generation) {
      const key = `${message.topic}:${message.partition}`;
      let queue = queues.get(key);
      if (!queue) queues.set(key, (queue = { messages: [], draining: undefined }));
      queue.messages.push({ message, generation });
      buffered += 1;
      if (!paused && buffered >= options.maxBuffered) {
        paused = true;
        options.pause();
      }
      if (!queue.draining) {
        const q = queue;
        q.draining = drain(q.messages).finally(() => {
          q.draining = undefined;
        });
      }
    },
    async idle() {
      await Promise.all([...queues.values()].map((q) => q.draining));
    },
  };
}
