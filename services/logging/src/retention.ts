import type { Sql } from 'postgres';
import type { Logger } from '@meridian/log';
import { deleteOlderThan } from './db/entries.ts';

/** Deletes entries older than `days` now and then every `intervalMs`; returns a stop function. */
export function startRetention(options: { sql: Sql; days: number; logger: Logger; intervalMs?: number }): () => Promise<void> {
  const { sql, days, logger, intervalMs = 60 * 60 * 1000 } = options;
  let running: Promise<void> = Promise.resolve();
  const sweep = () => {
    running = deleteOlderThan(sql, days).then(
      (deleted) => {
        if (deleted > 0) logger.info({ deleted, days }, 'expired log entries deleted');
      },
      (err: unknown) => logger.warn({ err }, 'log retention sweep failed'),
    );
  };
  sweep();
  const timer = setInterval(sweep, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
