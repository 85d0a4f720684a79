import { collectDefaultMetrics, Counter, Histogram, register } from 'prom-client';
import type { Registry } from 'prom-client';

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

/** Default process metrics plus the HTTP RED metrics, registered once per process. */
export function ensureHttpMetrics(): HttpMetrics {
  if (!httpMetrics) {
    if (!metricsRegistry.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics({ register: metricsRegistry });
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
