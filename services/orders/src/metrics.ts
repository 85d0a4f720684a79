import { counterOf, gaugeOf } from '@meridian/http';
import type { Counter, Gauge, Registry } from 'prom-client';

export interface OrderMetrics {
  placed: Counter;
  confirmed: Counter;
  cancelled: Counter<'reason'>;
  revenue: Counter<'currency'>;
  /** Orders in the saga (PENDING with OrderPlaced published) at the admission control's last count. */
  inProgress: Gauge;
  /** New orders refused with 503 because too many were in progress. */
  refused: Counter;
  /** Orders in progress at which new ones are refused: about a second of the measured completion rate. */
  admissionLimit: Gauge;
}

/** The business metrics, registered once per registry (a test may start the service twice). */
export function createOrderMetrics(registry: Registry): OrderMetrics {
  const counter = <L extends string = never>(name: string, help: string, labelNames: L[] = []) => counterOf(registry, name, help, labelNames);
  const gauge = (name: string, help: string) => gaugeOf(registry, name, help);
  return {
    placed: counter('orders_placed_total', 'Orders accepted'),
    confirmed: counter('orders_confirmed_total', 'Orders confirmed'),
    cancelled: counter('orders_cancelled_total', 'Orders cancelled, by reason', ['reason']),
    revenue: counter('revenue_minor_units_total', 'Value of confirmed orders in minor units, by currency', ['currency']),
    inProgress: gauge('orders_in_progress', 'Orders in the saga (PENDING, OrderPlaced published) at the last admission count'),
    refused: counter('orders_refused_total', 'New orders refused with 503 because too many were in progress'),
    admissionLimit: gauge('orders_admission_limit', 'Orders in progress at which new ones are refused (follows the measured completion rate)'),
  };
}
