/**
 * Admission control for new orders: while more sagas are in progress than the platform finishes in
 * about `targetMs`, a new order is refused early and cheaply (503 `overloaded` with Retry-After) instead
 * of queueing behind the others until every customer waits. Accepted orders always finish; readiness is
 * untouched (a busy instance is still a working one).
 *
 * The limit follows the machine (Little's law): it is the rate at which the saga has recently been
 * finishing orders times `targetMs`, at most `maxInProgress`. A fixed limit is either seconds of queue on
 * a slow machine (latency stays high long after a burst) or a throttle on a fast one. A saga that
 * finishes fewer than `stalledBelowPerSecond` is stalling (a service restarting, a slow dependency) or
 * nearly idle, not overloaded: below that rate the limit rises toward `maxInProgress` as the rate falls
 * (`admissionLimit`), so orders wait for a stopped saga to resume, as an event-driven saga should let them,
 * instead of a low rate refusing them ever lower; and a steady rate near the threshold moves the limit a
 * little, not between the highest and the lowest.
 *
 * Only orders the saga holds count: a PENDING order whose `OrderPlaced` still waits in the outbox (Kafka
 * down or slow) is buffered, not in progress, and the outbox's promise is that orders keep being taken then.
 */
import type { Sql } from 'postgres';
import type { Registry } from 'prom-client';
import { collectedGauge, overloaded } from '@meridian/http';
import { createOrderMetrics } from './metrics.ts';

export interface OrderAdmission {
  /** Throws a 503 `overloaded` problem when the orders in progress reached the limit. */
  admit(): void;
}

export interface OrderAdmissionOptions {
  sql: Sql;
  /** The highest limit: orders in the saga's hands (PENDING, `OrderPlaced` published; all instances). */
  maxInProgress: number;
  /** Below this completion rate (orders a second) the saga is stalled, not overloaded (default 20). */
  stalledBelowPerSecond?: number;
  /** How long the orders in progress may take to finish at the measured rate (default 1000 ms). */
  targetMs?: number;
  /** How old the count may be while orders come in; it is refreshed in the background. */
  refreshMs?: number;
  /** How old the count may be when metrics are scraped (default 5000 ms). */
  scrapeRefreshMs?: number;
  /** Wall-clock milliseconds (orders' `created_at` is the placing instance's clock). */
  now?: () => number;
  /** Gets `orders_refused_total`, and the gauges `orders_in_progress` and `orders_admission_limit`. */
  registry: Registry;
}

/** Finished orders are tallied per period of at least this long; one period is one rate sample. */
const ratePeriodMs = 1000;
/**
 * The rate falls as the mean of the periods this recent (batches of completions average out, a stall counts
 * by its share) and rises at once with the latest period (a step up in traffic is not refused for seconds).
 */
const rateMemoryMs = 5000;

export function createOrderAdmission(options: OrderAdmissionOptions): OrderAdmission {
  const { sql, maxInProgress, stalledBelowPerSecond = 20, targetMs = 1000, refreshMs = 200, scrapeRefreshMs = 5000, now = Date.now, registry } = options;
  const { refused } = createOrderMetrics(registry);
  const rate = createCompletionRate();
  let count = 0;
  let limit = maxInProgress;
  let countedAt = Number.NEGATIVE_INFINITY;
  let counting: Promise<void> | undefined;

  // One statement: the partial indexes on PENDING orders and unpublished outbox rows, and the orders
  // placed since the last count (a few rows of `orders_created`, read in the index's order and capped).
  // It is planned with sequential scans off, in a transaction of its own: without statistics (a server
  // without autovacuum never gathers them) the planner guesses a third of any range matches, and read
  // the whole table for every count, five times a second under load: as a plain count at 45,000 orders
  // (15-20 ms, docs/benchmarks.md, session 15), and with the cap from 1,000 to 10,000 orders, the size of
  // the table through a fresh platform's first minutes (session 17). The cap (a literal: a parameter would
  // be planned as unknown) is 5,000 orders a second at the 200 ms refresh, which counts run at while
  // orders arrive.
  async function countNow() {
    try {
      const at = now();
      const since = new Date(rate.lastCountAt(at));
      const row = await sql.begin(async (tx) => {
        const [, [counted]] = await Promise.all([
          tx`select set_config('enable_seqscan', 'off', true)`,
          tx<{ pending: number; buffered: number; placed: number }[]>`
            select
              (select count(*) from orders where status = 'PENDING')::int as pending,
              (select count(*) from outbox where published_at is null and type = 'OrderPlaced')::int as buffered,
              (select count(*) from (
                select from orders where created_at > ${since}
                order by created_at desc, id desc limit 1000) since)::int as placed`,
        ]);
        return counted!;
      });
      count = Math.max(0, row.pending - row.buffered);
      limit = admissionLimit(rate.record(at, row.pending, row.placed), { maxInProgress, stalledBelowPerSecond, targetMs });
    } catch {
      // keep the last count: the order itself will fail clearly if the database is gone
    } finally {
      counting = undefined;
    }
  }

  /** Starts a count when the last one is older than `maxAgeMs` and none runs; resolves when it is done. */
  function countIfOlderThan(maxAgeMs: number): Promise<void> {
    const at = now();
    if (at - countedAt >= maxAgeMs && !counting) {
      countedAt = at;
      counting = countNow();
    }
    return counting ?? Promise.resolve();
  }

  // Read at each scrape: at most one count per `scrapeRefreshMs` at rest (none between scrapes), so a
  // platform at rest shows what is in progress now, not the last count under load.
  collectedGauge(registry, 'orders_in_progress', 'Orders in the saga (PENDING, OrderPlaced published; all instances)', async () => {
    await countIfOlderThan(scrapeRefreshMs);
    return count;
  });
  collectedGauge(registry, 'orders_admission_limit', 'Orders in progress at which new ones are refused (follows the measured completion rate)', async () => {
    await countIfOlderThan(scrapeRefreshMs);
    return limit;
  });

  return {
    admit() {
      void countIfOlderThan(refreshMs);
      if (count >= limit) {
        refused.inc();
        throw overloaded(`${count} orders are in progress (limit ${limit}); please try again in a moment`, 1);
      }
      count += 1; // this one, until the next count sees it
    },
  };
}

/**
 * The limit for a completion rate (orders a second; undefined before one is measured): `targetMs` of
 * that rate, at most `maxInProgress`. Below `stalledBelowPerSecond` it rises in a straight line from the
 * threshold's own limit to `maxInProgress` at a standstill: no jump at the threshold, where a steady rate
 * had flipped the limit between the highest and the lowest from one second to the next.
 */
export function admissionLimit(
  perSecond: number | undefined,
  { maxInProgress, stalledBelowPerSecond, targetMs }: { maxInProgress: number; stalledBelowPerSecond: number; targetMs: number },
): number {
  const atRate = (ordersPerSecond: number) => Math.min(maxInProgress, Math.max(1, Math.ceil((ordersPerSecond * targetMs) / 1000)));
  if (perSecond === undefined) return maxInProgress;
  if (perSecond >= stalledBelowPerSecond) return atRate(perSecond);
  const atThreshold = atRate(stalledBelowPerSecond);
  return Math.round(maxInProgress - (maxInProgress - atThreshold) * (perSecond / stalledBelowPerSecond));
}

/**
 * The rate at which PENDING orders leave PENDING, from successive counts: finished = PENDING before +
 * placed since - PENDING now. Tallied per period of `ratePeriodMs`; the rate is the mean of the periods of the
 * last `rateMemoryMs` or the latest period, whichever is higher (undefined before the first period and after
 * a quiet spell: the limit is then the highest, as at start).
 */
export function createCompletionRate() {
  let last: { at: number; pending: number } | undefined;
  let period = { startedAt: 0, finished: 0 };
  let periods: { at: number; finished: number; ms: number }[] = [];

  return {
    /** Since when to count placed orders for the next `record` (the last count, or `at` for the first). */
    lastCountAt(at: number): number {
      return last && at - last.at <= rateMemoryMs ? last.at : at;
    },
    /** Takes a count; returns the rate to size the limit by, in orders per second. */
    record(at: number, pending: number, placedSinceLast: number): number | undefined {
      if (!last || at - last.at > rateMemoryMs) {
        period = { startedAt: at, finished: 0 }; // a quiet spell: start over
      } else {
        period.finished += Math.max(0, last.pending + placedSinceLast - pending);
        if (at - period.startedAt >= ratePeriodMs) {
          periods.push({ at, finished: period.finished, ms: at - period.startedAt });
          period = { startedAt: at, finished: 0 };
        }
      }
      last = { at, pending };
      periods = periods.filter((p) => at - p.at <= rateMemoryMs);
      if (periods.length === 0) return undefined;
      const perSecond = (p: { finished: number; ms: number }) => (p.finished * 1000) / p.ms;
      const all = periods.reduce((total, p) => ({ finished: total.finished + p.finished, ms: total.ms + p.ms }), { finished: 0, ms: 0 });
      return Math.max(perSecond(all), perSecond(periods[periods.length - 1]!));
    },
  };
}
