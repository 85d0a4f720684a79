import { counterOf } from '@meridian/http';
import type { Counter, Registry } from 'prom-client';

export interface OrderMetrics {
  placed: Counter;
  confirmed: Counter;
  cancelled: Counter<'reason'>;
  revenue: Counter<'currency'>;
  /** New orders refused with 503 because too many were in progress (the admission's own gauges: `admission.ts`). */
  refused: Counter;
}

/** The business metrics, registered once per registry (a test may start the service twice). */
export function createOrderMetrics(registry: Registry): OrderMetrics {
  const counter = <L extends string = never>(name: string, help: string, labelNames: L[] = []) => counterOf(registry, name, help, labelNames);
  return {
    placed: counter('orders_placed_total', 'Orders accepted'),
    confirmed: counter('orders_confirmed_total', 'Orders confirmed'),
    cancelled: counter('orders_cancelled_total', 'Orders cancelled, by reason', ['reason']),
    revenue: counter('revenue_minor_units_total', 'Value of confirmed orders in minor units, by currency', ['currency']),
    refused: counter('orders_refused_total', 'New orders refused with 503 because too many were in progress'),
  };
}
