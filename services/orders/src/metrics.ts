import { Counter, type Registry } from 'prom-client';

export interface OrderMetrics {
  placed: Counter;
  confirmed: Counter;
  cancelled: Counter<'reason'>;
  revenue: Counter<'currency'>;
}

/** The business metrics, registered once per registry (a test may start the service twice). */
export function createOrderMetrics(registry: Registry): OrderMetrics {
  const counter = <L extends string>(name: string, help: string, labelNames: L[] = []): Counter<L> =>
    (registry.getSingleMetric(name) as Counter<L> | undefined) ??
    new Counter({ name, help, labelNames, registers: [registry] });
  return {
    placed: counter('orders_placed_total', 'Orders accepted'),
    confirmed: counter('orders_confirmed_total', 'Orders confirmed'),
    cancelled: counter('orders_cancelled_total', 'Orders cancelled, by reason', ['reason']),
    revenue: counter('revenue_minor_units_total', 'Value of confirmed orders in minor units, by currency', ['currency']),
  };
}
