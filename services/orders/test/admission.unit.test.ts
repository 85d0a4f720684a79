import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { OverloadedProblem } from '@meridian/http';
import { createOrderAdmission } from '../src/admission.ts';
import { createOrderMetrics } from '../src/metrics.ts';

/** A stand-in for the pool that answers the PENDING count with `pending()`, counting its queries. */
function fakeSql(pending: () => number) {
  const calls = { count: 0 };
  const sql = (async () => {
    calls.count += 1;
    return [{ n: pending() }];
  }) as unknown as Parameters<typeof createOrderAdmission>[0]['sql'];
  return { sql, calls };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('admits orders until the in-progress count reaches the limit, then refuses with 503 overloaded and Retry-After', async () => {
  const { sql } = fakeSql(() => 2);
  const registry = new Registry();
  const admission = createOrderAdmission({ sql, maxInProgress: 4, refreshMs: 60_000, metrics: createOrderMetrics(registry) });
  admission.admit(); // starts the first count (2 in progress)
  await settle();
  admission.admit(); // 3
  admission.admit(); // 4
  assert.throws(
    () => admission.admit(),
    (err: unknown) => err instanceof OverloadedProblem && err.status === 503 && err.retryAfterSeconds === 1 && /limit 4/.test(err.detail),
  );
  assert.match(await registry.metrics(), /orders_refused_total 1/);
});

test('the count is refreshed at most every refreshMs, and a lower count admits again', async () => {
  let pending = 10;
  const { sql, calls } = fakeSql(() => pending);
  const admission = createOrderAdmission({ sql, maxInProgress: 5, refreshMs: 20, metrics: createOrderMetrics(new Registry()) });
  admission.admit();
  await settle();
  assert.throws(() => admission.admit(), OverloadedProblem);
  assert.throws(() => admission.admit(), OverloadedProblem);
  assert.equal(calls.count, 1, 'one count within refreshMs');
  pending = 0;
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.throws(() => admission.admit(), OverloadedProblem, 'the refusal uses the count it has while a new one runs');
  await settle();
  assert.doesNotThrow(() => admission.admit());
  assert.equal(calls.count, 2);
});
