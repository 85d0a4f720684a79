import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { OverloadedProblem } from '@meridian/http';
import { admissionLimit, createCompletionRate, createOrderAdmission } from '../src/admission.ts';

interface Counts {
  pending: number;
  buffered?: number;
  placed?: number;
}

/**
 * A stand-in for the pool that answers the admission's count (a transaction of its own: the planner
 * setting, then the count) with `counts()`, counting the counts.
 */
function fakeSql(counts: () => Counts) {
  const calls = { count: 0 };
  const tx = async () => {
    const { pending, buffered = 0, placed = 0 } = counts();
    return [{ pending, buffered, placed }];
  };
  const sql = {
    begin: async (run: (transaction: typeof tx) => Promise<unknown>) => {
      calls.count += 1;
      return run(tx);
    },
  } as unknown as Parameters<typeof createOrderAdmission>[0]['sql'];
  return { sql, calls };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('admits orders until the in-progress count reaches the limit, then refuses with 503 overloaded and Retry-After', async () => {
  const { sql } = fakeSql(() => ({ pending: 2 }));
  const registry = new Registry();
  const admission = createOrderAdmission({ sql, maxInProgress: 4, refreshMs: 60_000, registry });
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

test('orders buffered in the outbox are not in progress', async () => {
  const { sql } = fakeSql(() => ({ pending: 10, buffered: 8 }));
  const admission = createOrderAdmission({ sql, maxInProgress: 4, refreshMs: 60_000, registry: new Registry() });
  admission.admit();
  await settle();
  admission.admit(); // 2 in progress + this one
  admission.admit();
  assert.throws(() => admission.admit(), OverloadedProblem);
});

test('the count is refreshed at most every refreshMs, and a lower count admits again', async () => {
  let pending = 10;
  const { sql, calls } = fakeSql(() => ({ pending }));
  const admission = createOrderAdmission({ sql, maxInProgress: 5, refreshMs: 20, registry: new Registry() });
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

test('the completion rate: PENDING before + placed since - PENDING now, per period of a second', () => {
  const rate = createCompletionRate();
  assert.equal(rate.lastCountAt(1_000), 1_000, 'the first count has nothing before it');
  assert.equal(rate.record(1_000, 50, 0), undefined);
  assert.equal(rate.lastCountAt(1_500), 1_000);
  assert.equal(rate.record(1_500, 50, 20), undefined, 'half a second is not a period yet'); // 20 finished
  assert.equal(rate.record(2_000, 40, 30), 60, '20 + 40 finished in one second'); // 40 finished
  assert.equal(rate.record(3_000, 40, 10), 35, 'the mean of the periods of the last five seconds'); // 10 finished
  assert.equal(rate.record(7_500, 40, 0), (10 * 1000) / 5500, 'the first period has left the memory; the quiet 4.5 s count by their length');
  assert.equal(rate.lastCountAt(20_000), 20_000, 'after a quiet spell, counting starts over');
  assert.equal(rate.record(20_000, 0, 500), undefined, 'a quiet spell forgets the rate');
});

test('the limit is about targetMs of the measured completion rate; it rises toward the highest as a saga stalls', async () => {
  let clock = 0;
  let counts: Counts = { pending: 0 };
  const { sql } = fakeSql(() => counts);
  const registry = new Registry();
  const admission = createOrderAdmission({ sql, maxInProgress: 100, stalledBelowPerSecond: 20, targetMs: 1000, refreshMs: 200, now: () => clock, registry });
  // Each call is a new order (admitted or refused) that starts a count, then reads the limit it set.
  const limitNow = async () => {
    try {
      admission.admit();
    } catch {}
    await settle();
    return Number(/orders_admission_limit (\d+)/.exec(await registry.metrics())?.[1]);
  };

  assert.equal(await limitNow(), 100, 'the highest limit until a rate is measured');
  // 45 orders a second finish while 60 are in progress: the limit becomes 45.
  clock = 1_000;
  counts = { pending: 60, placed: 105 }; // 0 + 105 placed - 60 still pending = 45 finished
  assert.equal(await limitNow(), 45);
  assert.throws(() => admission.admit(), (err: unknown) => err instanceof OverloadedProblem && /60 orders are in progress \(limit 45\)/.test(err.detail));
  // Half a target's worth: the limit halves with it.
  clock = 7_000;
  counts = { pending: 60, placed: 5 };
  assert.equal(await limitNow(), 100, 'six seconds without a count are a quiet spell');
  clock = 8_000;
  counts = { pending: 40, placed: 30 }; // 50 finished
  assert.equal(await limitNow(), 50);
  // Five a second while orders keep coming: a stalling saga, not an overloaded one. Orders wait for it.
  const limits: number[] = [];
  for (let second = 9; second <= 14; second++) {
    clock = second * 1_000;
    counts = { pending: counts.pending + 10, placed: 15 }; // 5 finished
    limits.push(await limitNow());
  }
  // Rates (mean of the last five seconds) 27.5, 20, 16.25, 14, 12.5, 5: under 20 a second the limit rises.
  assert.deepEqual(limits, [28, 20, 35, 44, 50, 80], 'the mean of the last five seconds sizes the limit; under 20 a second it rises toward 100');
  // Nothing finishes any more (a service is down): the limit reaches the highest, and orders wait.
  for (let second = 15; second <= 20; second++) {
    clock = second * 1_000;
    counts = { pending: counts.pending + 5, placed: 5 };
    limits.push(await limitNow());
  }
  assert.equal(limits.at(-1), 100);
});

test('admissionLimit: targetMs of the rate, at most the highest; under the stalled threshold a straight line up to it, no jump', () => {
  const options = { maxInProgress: 100, stalledBelowPerSecond: 20, targetMs: 1000 };
  assert.equal(admissionLimit(undefined, options), 100, 'before a rate is measured');
  assert.equal(admissionLimit(45, options), 45);
  assert.equal(admissionLimit(450, options), 100, 'at most the highest');
  assert.equal(admissionLimit(45, { ...options, targetMs: 500 }), 23);
  assert.equal(admissionLimit(0, options), 100, 'a saga at a standstill');
  assert.equal(admissionLimit(10, options), 60, 'halfway between the threshold limit and the highest');
  assert.equal(admissionLimit(20, options), 20);
  // A steady 20 a second measured as 19.9 or 20.1 had flipped the limit between 100 and 21.
  assert.ok(Math.abs(admissionLimit(19.9, options) - admissionLimit(20.1, options)) <= 1, 'no jump at the threshold');
  for (let rate = 0; rate < 40; rate += 0.5) {
    assert.ok(admissionLimit(rate, options) >= admissionLimit(rate + 0.5, options) || rate + 0.5 >= 20, `falls toward the threshold: ${rate}`);
  }
});

test('a scrape shows what is in progress now: at rest it counts again, at most every scrapeRefreshMs', async () => {
  let clock = 0;
  let pending = 47;
  const { sql, calls } = fakeSql(() => ({ pending }));
  const registry = new Registry();
  const admission = createOrderAdmission({ sql, maxInProgress: 100, refreshMs: 200, scrapeRefreshMs: 5000, now: () => clock, registry });
  const inProgress = async () => Number(/orders_in_progress (\d+)/.exec(await registry.metrics())?.[1]);
  admission.admit();
  assert.equal(await inProgress(), 47, 'the scrape waits for the count under way');
  pending = 0; // the saga finished them; no order came since
  clock = 4_000;
  assert.equal(await inProgress(), 47, 'a count younger than scrapeRefreshMs is shown as it is');
  clock = 5_000;
  assert.equal(await inProgress(), 0, 'an older one is taken again');
  assert.equal(calls.count, 2, 'one count per stale scrape, none between');
});

test('the completion rate rises at once with the latest second and falls as the mean of five', () => {
  const rate = createCompletionRate();
  rate.record(0, 0, 0);
  for (let second = 1; second <= 4; second++) rate.record(second * 1_000, 0, 20); // 20 a second
  assert.equal(rate.record(5_000, 0, 40), 40, 'traffic doubled: the limit follows within a second');
  assert.equal(rate.record(6_000, 0, 10), (4 * 20 + 40 + 10) / 6, 'a slow second lowers the mean of the periods kept by its share');
});
