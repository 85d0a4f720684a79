import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judge, parseSamples, windowStats } from '../lib/rollout.ts';
import { canarySteps, distinctVersion } from '../upgrade.ts';

const limits = { maxErrorRate: 0.05, maxP99Ratio: 2, p99SlackMs: 250, minSamples: 20 };

/** A gateway /metrics page with `answers` per version (status -> count) and their latencies (le -> cumulative count). */
function page(versions: Record<string, { statuses: Record<string, number>; buckets: Record<string, number> }>): string {
  const lines = ['# HELP gateway_upstream_responses_total Answers relayed', '# TYPE gateway_upstream_responses_total counter'];
  for (const [version, { statuses, buckets }] of Object.entries(versions)) {
    for (const [status, n] of Object.entries(statuses)) lines.push(`gateway_upstream_responses_total{service="orders",version="${version}",status_code="${status}"} ${n}`);
    for (const [le, n] of Object.entries(buckets)) lines.push(`gateway_upstream_duration_seconds_bucket{le="${le}",service="orders",version="${version}"} ${n}`);
  }
  lines.push('gateway_upstream_responses_total{service="catalog",version="1.0.0",status_code="200"} 99');
  return lines.join('\n');
}

test('parseSamples reads names, labels (escapes included) and values of the Prometheus text format', () => {
  const samples = parseSamples('# HELP x\nx_total{a="1",b="say \\"hi\\""} 3\nx_total 4\ny_total{a="1"} 5\n', 'x_');
  assert.deepEqual(samples, [
    { name: 'x_total', labels: { a: '1', b: 'say "hi"' }, value: 3 },
    { name: 'x_total', labels: {}, value: 4 },
  ]);
});

test('windowStats: answers, 5xx and p99 of the given versions between two scrapes', () => {
  const before = parseSamples(page({ next: { statuses: { 202: 10 }, buckets: { '0.05': 10, '0.1': 10, '+Inf': 10 } } }), 'gateway_upstream_');
  const after = parseSamples(page({
    next: { statuses: { 202: 105, 503: 5 }, buckets: { '0.05': 90, '0.1': 109, '+Inf': 110 } },
    old: { statuses: { 202: 50 }, buckets: { '0.05': 50, '0.1': 50, '+Inf': 50 } },
  }), 'gateway_upstream_');
  // 100 new answers in the window: 5 of them 5xx; 99 of 100 within 0.1 s.
  assert.deepEqual(windowStats(before, after, ['next']), { answers: 100, errors: 5, p99Ms: 100 });
  assert.deepEqual(windowStats(before, after, ['old']), { answers: 50, errors: 0, p99Ms: 50 });
  assert.deepEqual(windowStats(before, after, ['absent']), { answers: 0, errors: 0, p99Ms: undefined });
});

test('judge: a step is degraded by its error rate, or by a p99 beyond both the ratio and the slack of the previous build', () => {
  assert.equal(judge({ answers: 100, errors: 5, p99Ms: 50 }, 50, limits), 'ok');
  assert.match(judge({ answers: 100, errors: 6, p99Ms: 50 }, 50, limits), /^error rate 6\.0% above 5\.0%$/);
  // previous 100 ms: allowed max(200, 350) = 350 ms
  assert.equal(judge({ answers: 30, errors: 0, p99Ms: 250 }, 100, limits), 'ok');
  assert.match(judge({ answers: 30, errors: 0, p99Ms: 500 }, 100, limits), /^p99 500 ms above 350 ms \(previous build 100 ms\)$/);
  // too few answers, or nothing to compare with: latency is not judged
  assert.equal(judge({ answers: 10, errors: 0, p99Ms: 5000 }, 100, limits), 'ok');
  assert.equal(judge({ answers: 30, errors: 0, p99Ms: 5000 }, undefined, limits), 'ok');
});

test('canarySteps go from the canary share through 50% to 100%; distinctVersion never reuses a running version', () => {
  assert.deepEqual(canarySteps(10), [10, 50, 100]);
  assert.deepEqual(canarySteps(60), [60, 100]);
  assert.deepEqual(canarySteps(100), [100]);
  assert.throws(() => canarySteps(0), /--canary must be a share/);
  assert.equal(distinctVersion('0.1.0+abc1234', ['1.0.0']), '0.1.0+abc1234');
  assert.equal(distinctVersion('0.1.0+abc1234', ['0.1.0+abc1234', '0.1.0+abc1234.2']), '0.1.0+abc1234.3');
});
