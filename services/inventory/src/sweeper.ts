import type postgres from 'postgres';
import type { Inventory } from './inventory.ts';
import type { Logger } from '@meridian/log';

/** Periodically releases reservations whose order was neither confirmed nor cancelled in time. */
export function createExpirySweeper(opts: {
  sql: postgres.Sql;
  inventory: Inventory;
  intervalMs: number;
  batchSize?: number;
  log: Logger;
}) {
  const { sql, inventory, intervalMs, batchSize = 100, log } = opts;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;

  /** Releases everything due now; returns how many reservations expired. */
  async function sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await inventory.expireDue(sql, batchSize);
      total += n;
      if (n < batchSize) return total;
    }
  }

  function schedule() {
    timer = setTimeout(() => {
      running = sweep()
        .then((n) => {
          if (n > 0) log.info({ expired: n }, 'expired reservations released');
        })
        .catch((err: unknown) => log.error({ err }, 'reservation sweep failed'))
        .finally(() => {
          running = undefined;
          if (!stopped) schedule();
        });
    }, intervalMs);
    timer.unref();
  }

  return {
    sweep,
    start() {
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
