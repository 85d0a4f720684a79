/**
 * Admission control for new orders: while more sagas are in progress than the platform finishes in
 * about a second or two, a new order is refused early and cheaply (503 `overloaded` with Retry-After)
 * instead of queueing behind the others until every customer waits. Accepted orders always finish;
 * readiness is untouched (a busy instance is still a working one).
 */
import type { Sql } from 'postgres';
import { Counter, Gauge, type Registry } from 'prom-client';
import { overloaded } from '@meridian/http';

export interface OrderAdmission {
  /** Throws a 503 `overloaded` problem when the orders in progress reached the limit. */
  admit(): void;
}

export interface OrderAdmissionOptions {
  sql: Sql;
  /** Orders in PENDING (over all instances) at which new ones are refused. */
  maxInProgress: number;
  /** How old the count may be; it is refreshed in the background while orders come in. */
  refreshMs?: number;
  registry: Registry;
}

export function createOrderAdmission({ sql, maxInProgress, refreshMs = 200, registry }: OrderAdmissionOptions): OrderAdmission {
  const refused =
    (registry.getSingleMetric('orders_refused_total') as Counter | undefined) ??
    new Counter({ name: 'orders_refused_total', help: 'New orders refused with 503 because too many were in progress', registers: [registry] });
  const inProgress =
    (registry.getSingleMetric('orders_in_progress') as Gauge | undefined) ??
    new Gauge({ name: 'orders_in_progress', help: 'Orders PENDING at the last admission count', registers: [registry] });
  let count = 0;
  let countedAt = Number.NEGATIVE_INFINITY;
  let counting = false;

  // Counted with the partial index on PENDING orders; one query per `refreshMs` at most, none at rest.
  async function recount() {
    counting = true;
    try {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from orders where status = 'PENDING'`;
      count = row.n;
      inProgress.set(count);
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
        refused.inc();
        throw overloaded(`${count} orders are in progress (limit ${maxInProgress}); please try again in a moment`, 1);
      }
      count += 1; // this one, until the next count sees it
    },
  };
}
