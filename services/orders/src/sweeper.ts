/** Cancels orders stuck in PENDING longer than the saga timeout. Safe with many instances (SKIP LOCKED). */
import type { Orders } from './orders.ts';

export interface Sweeper {
  stop(): Promise<void>;
}

export function startTimeoutSweeper(options: {
  orders: Orders;
  timeoutSeconds: number;
  intervalMs: number;
  logger: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}): Sweeper {
  const { orders, timeoutSeconds, intervalMs, logger } = options;
  let running: Promise<void> | undefined;
  let stopped = false;

  async function sweep(): Promise<void> {
    try {
      let cancelled: number;
      do {
        cancelled = await orders.cancelTimedOut(timeoutSeconds);
        if (cancelled > 0) logger.info({ cancelled }, 'cancelled timed-out orders');
      } while (cancelled > 0 && !stopped);
    } catch (err) {
      logger.error({ err }, 'order timeout sweep failed');
    }
  }

  const timer = setInterval(() => {
    running ??= sweep().finally(() => {
      running = undefined;
    });
  }, intervalMs);

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
