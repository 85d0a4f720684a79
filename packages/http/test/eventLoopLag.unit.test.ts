import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { busyUtilization, eventLoopSampleMs, readDelays, registerEventLoopMetrics } from '../src/eventLoopLag.ts';

const histogramOf = (values: { count: number; min: number; max: number; mean: number; stddev: number; p: Record<number, number> }) => ({
  ...values,
  percentile: (p: number) => values.p[p],
});

test('readDelays reports the delay beyond the timer period, and none when nothing was recorded', () => {
  const ms = 1e6;
  const reading = readDelays(histogramOf({ count: 40, min: 100.2 * ms, max: 350 * ms, mean: 110 * ms, stddev: 5 * ms, p: { 50: 101 * ms, 90: 104 * ms, 99: 300 * ms } }), 100);
  assert.ok(Math.abs(reading.max - 0.25) < 1e-9, `max ${reading.max}`);
  assert.ok(Math.abs(reading.p99 - 0.2) < 1e-9, `p99 ${reading.p99}`);
  assert.ok(Math.abs(reading.p50 - 0.001) < 1e-9, `p50 ${reading.p50}`);
  assert.ok(Math.abs(reading.stddev - 0.005) < 1e-9, 'the spread is not shifted');
  assert.deepEqual(readDelays(histogramOf({ count: 0, min: 9e18, max: 0, mean: Number.NaN, stddev: Number.NaN, p: {} }), 100),
    { p50: 0, p90: 0, p99: 0, min: 0, max: 0, mean: 0, stddev: 0 });
});

const spin = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {}
};

async function scrape(registry: Registry): Promise<Record<string, number>> {
  const text = await registry.metrics();
  return Object.fromEntries([...text.matchAll(/^(nodejs_eventloop_\w+) ([\d.e+-]+|NaN)$/gm)].map(([, name, value]) => [name, Number(value)]));
}

test('the delay histogram samples while the loop is busy and stops in an idle window', async () => {
  const registry = new Registry();
  registerEventLoopMetrics(registry);

  // Busy: a 400 ms stall among short waits; the sampling timer fires late by about the stall.
  await sleep(eventLoopSampleMs * 2);
  spin(400);
  await sleep(eventLoopSampleMs * 2);
  const busy = await scrape(registry);
  assert.ok(busy.nodejs_eventloop_utilization_ratio >= busyUtilization, `busy ${busy.nodejs_eventloop_utilization_ratio}`);
  assert.ok(busy.nodejs_eventloop_lag_max_seconds >= 0.2, `a 400 ms stall shows as delay: ${busy.nodejs_eventloop_lag_max_seconds}`);
  assert.ok(busy.nodejs_eventloop_lag_p50_seconds < 0.05, `the timer's period is not reported as delay: ${busy.nodejs_eventloop_lag_p50_seconds}`);

  // Idle: the window after the busy one is still sampled; its scrape finds the loop idle and stops sampling.
  await sleep(1000);
  const idle = await scrape(registry);
  assert.ok(idle.nodejs_eventloop_utilization_ratio < busyUtilization, `idle ${idle.nodejs_eventloop_utilization_ratio}`);
  await sleep(eventLoopSampleMs * 3);
  spin(300);
  const unsampled = await scrape(registry);
  assert.equal(unsampled.nodejs_eventloop_lag_max_seconds, 0, 'no timer ran after an idle window');
  assert.ok(unsampled.nodejs_eventloop_utilization_ratio >= busyUtilization, 'the stall still shows as utilization');

  // That busy window started sampling again.
  await sleep(eventLoopSampleMs * 2);
  spin(300);
  await sleep(eventLoopSampleMs * 2);
  const sampledAgain = await scrape(registry);
  assert.ok(sampledAgain.nodejs_eventloop_lag_max_seconds >= 0.15, `sampling resumed: ${sampledAgain.nodejs_eventloop_lag_max_seconds}`);
});

/** Counts reads of the standard deviation of any Node histogram: Node walks every bucket for it. */
function countStddevReads(): { reads: () => number; restore: () => void } {
  let proto = Object.getPrototypeOf(monitorEventLoopDelay());
  while (proto && !Object.getOwnPropertyDescriptor(proto, 'stddev')) proto = Object.getPrototypeOf(proto);
  const original = Object.getOwnPropertyDescriptor(proto, 'stddev')!;
  let reads = 0;
  Object.defineProperty(proto, 'stddev', {
    ...original,
    get() {
      reads += 1;
      return original.get!.call(this);
    },
  });
  return { reads: () => reads, restore: () => Object.defineProperty(proto, 'stddev', original) };
}

test('with the default metrics, an idle scrape reads no histogram, and the lag gauge measures a queued callback', async () => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 2 ** 31 - 1 });
  registerEventLoopMetrics(registry);
  const stddev = countStddevReads();
  try {
    await scrape(registry); // the first window ends with start-up work; this scrape may find it busy
    await sleep(1000);
    await scrape(registry); // an idle window: sampling stops
    await sleep(eventLoopSampleMs);
    const before = stddev.reads();
    await scrape(registry);
    spin(200); // the callback the scrape queued waits behind this
    await sleep(eventLoopSampleMs);
    const idle = await scrape(registry);
    assert.equal(stddev.reads() - before, 0, 'prom-client\'s own histogram is no longer read at every scrape');
    assert.ok(idle.nodejs_eventloop_lag_seconds >= 0.15, `the lag gauge saw the 200 ms stall: ${idle.nodejs_eventloop_lag_seconds}`);
    assert.equal((await registry.metrics()).match(/^# TYPE nodejs_eventloop_lag_seconds /gm)?.length, 1, 'one lag gauge');
  } finally {
    stddev.restore();
  }
});
