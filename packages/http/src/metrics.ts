import { collectDefaultMetrics, Counter, Gauge, Histogram, register } from 'prom-client';
import type { Registry } from 'prom-client';
import { registerEventLoopMetrics } from './eventLoopLag.ts';

/**
 * The process-wide registry every chassis part adds its metrics to. It is prom-client's default
 * registry, so metrics created without an explicit `registers` option land here too.
 */
export const metricsRegistry: Registry = register;

export interface HttpMetrics {
  duration: Histogram<'method' | 'route' | 'status_code'>;
  requests: Counter<'method' | 'route' | 'status_code'>;
}

let httpMetrics: HttpMetrics | undefined;

/**
 * prom-client's own event-loop delay timer would wake every process for good; it gets a period no process
 * lives to see, and `registerEventLoopMetrics` replaces its gauges with ones that sample only while busy.
 */
const neverMs = 2 ** 31 - 1;

/** Default process metrics plus the HTTP RED metrics, registered once per process. */
export function ensureHttpMetrics(): HttpMetrics {
  if (!httpMetrics) {
    if (!metricsRegistry.getSingleMetric('process_cpu_user_seconds_total')) {
      collectDefaultMetrics({ register: metricsRegistry, eventLoopMonitoringPrecision: neverMs });
      registerEventLoopMetrics(metricsRegistry);
    }
    httpMetrics = {
      duration: new Histogram({
        name: 'http_request_duration_seconds',
        help: 'HTTP request duration in seconds',
        labelNames: ['method', 'route', 'status_code'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [metricsRegistry],
      }),
      requests: new Counter({
        name: 'http_requests_total',
        help: 'HTTP requests served',
        labelNames: ['method', 'route', 'status_code'],
        registers: [metricsRegistry],
      }),
    };
  }
  return httpMetrics;
}

/*
 * How a service registers its metrics, one rule each:
 * - counters, gauges and histogram it updates: registered once per registry and reused by a service
 *   started again in the same process (tests do), so counts are never split over two objects;
 * - gauges read when scraped (`collect`): replaced, because the reading belongs to the running instance.
 */
export function counterOf<L extends string = never>(registry: Registry, name: string, help: string, labelNames: L[] = []): Counter<L> {
  return (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

export function gaugeOf<L extends string = never>(registry: Registry, name: string, help: string, labelNames: L[] = []): Gauge<L> {
  return (registry.getSingleMetric(name) as Gauge<L> | undefined) ?? new Gauge({ name, help, labelNames, registers: [registry] });
}

export function histogramOf<L extends string = never>(registry: Registry, name: string, help: string, labelNames: L[], buckets: number[]): Histogram<L> {
  return (registry.getSingleMetric(name) as Histogram<L> | undefined) ?? new Histogram({ name, help, labelNames, buckets, registers: [registry] });
}

/** A gauge whose value is read at each scrape; replaces one of the same name. */
export function collectedGauge(registry: Registry, name: string, help: string, read: () => number | Promise<number>): Gauge {
  registry.removeSingleMetric(name);
  return new Gauge({
    name,
    help,
    registers: [registry],
    async collect() {
      this.set(await read());
    },
  });
}
