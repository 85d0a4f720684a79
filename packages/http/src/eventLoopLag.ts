import { monitorEventLoopDelay, performance, type Histogram } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

/** The delay histogram's timer fires this often while the loop is busy. */
export const eventLoopSampleMs = 100;

/**
 * Below this share of busy time between two scrapes the histogram's timer is stopped until the next
 * scrape: its 10 wake-ups a second were an idle service's largest timer, 1.3 ms of CPU per second per
 * process on this VM (docs/benchmarks.md, session 11). An idle service is busy about 1% of the time.
 */
export const busyUtilization = 0.05;

/** prom-client's names and help, so dashboards and alerts read the same series. */
const gauges = {
  p50: ['nodejs_eventloop_lag_p50_seconds', 'The 50th percentile of the recorded event loop delays.'],
  p90: ['nodejs_eventloop_lag_p90_seconds', 'The 90th percentile of the recorded event loop delays.'],
  p99: ['nodejs_eventloop_lag_p99_seconds', 'The 99th percentile of the recorded event loop delays.'],
  min: ['nodejs_eventloop_lag_min_seconds', 'The minimum recorded event loop delay.'],
  max: ['nodejs_eventloop_lag_max_seconds', 'The maximum recorded event loop delay.'],
  mean: ['nodejs_eventloop_lag_mean_seconds', 'The mean of the recorded event loop delays.'],
  stddev: ['nodejs_eventloop_lag_stddev_seconds', 'The standard deviation of the recorded event loop delays.'],
} as const;

const lagName = 'nodejs_eventloop_lag_seconds';

type Reading = Record<keyof typeof gauges, number>;

/** What the histogram recorded, as delay beyond the timer's own period (Node records the whole period). */
export function readDelays(histogram: Pick<Histogram, 'count' | 'min' | 'max' | 'mean' | 'stddev' | 'percentile'>, periodMs: number): Reading {
  if (histogram.count === 0) return { p50: 0, p90: 0, p99: 0, min: 0, max: 0, mean: 0, stddev: 0 };
  const beyondPeriod = (ns: number) => Math.max(0, ns / 1e9 - periodMs / 1e3);
  return {
    p50: beyondPeriod(histogram.percentile(50)),
    p90: beyondPeriod(histogram.percentile(90)),
    p99: beyondPeriod(histogram.percentile(99)),
    min: beyondPeriod(histogram.min),
    max: beyondPeriod(histogram.max),
    mean: beyondPeriod(histogram.mean),
    stddev: histogram.stddev / 1e9,
  };
}

/**
 * `nodejs_eventloop_utilization_ratio` and `nodejs_eventloop_lag_*`, read at each scrape for the time
 * since the previous one. The delay percentiles come from Node's histogram, which samples only after a
 * window in which the loop was at least `busyUtilization` busy; an idle window reports no delay, and a
 * stall in it still shows as utilization. Replaces prom-client's gauges of the same names (call it after
 * `collectDefaultMetrics`), `nodejs_eventloop_lag_seconds` included: prom-client's reads all seven
 * statistics of its own histogram at every scrape, and Node walks every bucket for the standard
 * deviation, 0.5 ms even when empty: a third of a service's scrape (docs/benchmarks.md, session 19).
 */
export function registerEventLoopMetrics(registry: Registry): void {
  const histogram = monitorEventLoopDelay({ resolution: eventLoopSampleMs });
  histogram.enable();
  let last = performance.eventLoopUtilization();

  for (const [name] of Object.values(gauges)) registry.removeSingleMetric(name);
  registry.removeSingleMetric('nodejs_eventloop_utilization_ratio');
  registry.removeSingleMetric(lagName);
  // prom-client's measure: how long a callback queued at the scrape waits for the loop (seen at the next scrape).
  const lag = new Gauge({
    name: lagName,
    help: 'Lag of event loop in seconds.',
    registers: [registry],
    collect() {
      const queuedAt = performance.now();
      setImmediate(() => lag.set((performance.now() - queuedAt) / 1e3));
    },
  });
  // Registered first, so a scrape collects it before the delay gauges it sets (prom-client's own pattern).
  new Gauge({
    name: 'nodejs_eventloop_utilization_ratio',
    help: 'Share of time since the previous scrape the event loop was busy (0-1)',
    registers: [registry],
    collect() {
      const now = performance.eventLoopUtilization();
      const { utilization } = performance.eventLoopUtilization(now, last);
      last = now;
      this.set(utilization);
      const reading = readDelays(histogram, eventLoopSampleMs);
      histogram.reset();
      for (const key of Object.keys(delays) as (keyof Reading)[]) delays[key].set(reading[key]);
      // Both are no-ops when the timer is already in the wanted state.
      if (utilization >= busyUtilization) histogram.enable();
      else histogram.disable();
    },
  });
  const delays = Object.fromEntries(
    Object.entries(gauges).map(([key, [name, help]]) => [key, new Gauge({ name, help, registers: [registry] })]),
  ) as Record<keyof Reading, Gauge>;
}
