/**
 * Admission control for new orders: while more sagas are in progress than the platform finishes in
 * about a second or two, a new order is refused early and cheaply (503 `overloaded` with Retry-After)
 * instead of queueing behind the others until every customer waits. Accepted orders always finish;
 * readiness is untouched (a busy instance is still a working one).
 *
 * Only orders the saga holds count: a PENDING order whose `OrderPlaced` still waits in the outbox (Kafka
 * down or slow) is buffered, not in progress, and the outbox's promise is that orders keep being taken then.
 */
import type { Sql } from 'postgres';
import { overloaded } from '@meridian/http';
import type { OrderMetrics } from './metrics.ts';

export interface OrderAdmission {
  /** Throws a 503 `overloaded` problem when the orders in progress reached the limit. */
  admit(): void;
}

export interface OrderAdmissionOptions {
  sql: Sql;
  /** Orders in the saga's hands (PENDING, `OrderPlaced` published; all instances) at which new ones are refused. */
  maxInProgress: number;
  /** How old the count may be; it is refreshed in the background while orders come in. */
  refreshMs?: number;
  metrics: Pick<OrderMetrics, 'inProgress' | 'refused'>;
}

export function createOrderAdmission({ sql, maxInProgress, refreshMs = 200, metrics }: OrderAdmissionOptions): OrderAdmission {
  let count = 0;
  let countedAt = Number.NEGATIVE_INFINITY;
  let counting = false;

  // Counted with the partial indexes on PENDING orders and unpublished outbox rows; one query per
  // `refreshMs` at most, none at rest.
  async function recount() {
    counting = true;
    try {
      const [row] = await sql<{ n: number }[]>`
        select greatest(0,
          (select count(*) from orders where status = 'PENDING')
          - (select count(*) from outbox where published_at is null and type = 'OrderPlaced'))::int as n`;
      count = row.n;
      metrics.inProgress.set(count);
    } catch {
      // keep the last count: the order itself will fail clearly if the database is gone
    } finally {
      counting = false;
    }
  }

  return {
    admit() {
      const now = performance.now();
      if (now - countedAt >= refreshMs && !counting) {
        countedAt = now;
        void recount();
      }
      if (count >= maxInProgress) {
        metrics.refused.inc();
        throw overloaded(`${count} orders are in progress (limit ${maxInProgress}); please try again in a moment`, 1);
      }
      count += 1; // this one, until the next count sees it
    },
  };
}
