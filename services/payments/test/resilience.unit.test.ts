import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  backoffDelay,
  BulkheadFullError,
  CircuitOpenError,
  createBulkhead,
  createCircuitBreaker,
  withTimeout,
} from '../src/domain/resilience.ts';

const fail = () => Promise.reject(new Error('boom'));
const ok = () => Promise.resolve('ok');

test('backoffDelay grows exponentially, is capped, and jitters within the ceiling', () => {
  const max = () => 1 - Number.EPSILON;
  assert.equal(backoffDelay(1, { baseMs: 100, maxMs: 1000, random: max }), 100);
  assert.equal(backoffDelay(2, { baseMs: 100, maxMs: 1000, random: max }), 200);
  assert.equal(backoffDelay(3, { baseMs: 100, maxMs: 1000, random: max }), 400);
  assert.equal(backoffDelay(10, { baseMs: 100, maxMs: 1000, random: max }), 1000);
  assert.equal(backoffDelay(3, { baseMs: 100, maxMs: 1000, random: () => 0 }), 0);
  for (let i = 0; i < 100; i++) {
    const d = backoffDelay(2, { baseMs: 100, maxMs: 1000 });
    assert.ok(d >= 0 && d <= 200);
  }
});

test('circuit breaker opens after N consecutive failures and fails fast', async () => {
  let clock = 0;
  const breaker = createCircuitBreaker({ failureThreshold: 3, cooldownMs: 1000, now: () => clock });
  await assert.rejects(breaker.run(fail), /boom/);
  await assert.rejects(breaker.run(fail), /boom/);
  assert.equal(breaker.state(), 'closed');
  await assert.rejects(breaker.run(fail), /boom/);
  assert.equal(breaker.state(), 'open');
  let called = false;
  await assert.rejects(
    breaker.run(async () => {
      called = true;
    }),
    CircuitOpenError,
  );
  assert.equal(called, false);
  clock = 999;
  assert.equal(breaker.state(), 'open');
});

test('a success resets the consecutive failure count', async () => {
  const breaker = createCircuitBreaker({ failureThreshold: 2, cooldownMs: 1000, now: () => 0 });
  await assert.rejects(breaker.run(fail));
  await breaker.run(ok);
  await assert.rejects(breaker.run(fail));
  assert.equal(breaker.state(), 'closed');
});

test('half-open lets one trial through: success closes, failure reopens for another cooldown', async () => {
  let clock = 0;
  const breaker = createCircuitBreaker({ failureThreshold: 1, cooldownMs: 1000, now: () => clock });
  await assert.rejects(breaker.run(fail));
  clock = 1000;
  assert.equal(breaker.state(), 'half-open');

  let release!: () => void;
  const trial = breaker.run(() => new Promise<string>((resolve) => (release = () => resolve('trial'))));
  await assert.rejects(breaker.run(ok), CircuitOpenError, 'only one trial at a time');
  release();
  assert.equal(await trial, 'trial');
  assert.equal(breaker.state(), 'closed');

  await assert.rejects(breaker.run(fail));
  clock = 2500;
  assert.equal(breaker.state(), 'half-open');
  await assert.rejects(breaker.run(fail), /boom/);
  assert.equal(breaker.state(), 'open');
  clock = 3499;
  assert.equal(breaker.state(), 'open');
  clock = 3500;
  assert.equal(breaker.state(), 'half-open');
});

test('bulkhead bounds concurrency, queues up to its limit and rejects beyond', async () => {
  const bulkhead = createBulkhead({ maxConcurrent: 2, maxQueued: 1 });
  let running = 0;
  let peak = 0;
  const gates: (() => void)[] = [];
  const task = () =>
    bulkhead.run(async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((resolve) => gates.push(resolve));
      running--;
    });
  const calls = [task(), task(), task()];
  await assert.rejects(task(), BulkheadFullError);
  assert.equal(bulkhead.inFlight(), 2);
  assert.equal(bulkhead.queued(), 1);
  gates.shift()!();
  await new Promise((r) => setImmediate(r));
  assert.equal(bulkhead.queued(), 0, 'the waiter took the freed slot');
  assert.equal(bulkhead.inFlight(), 2);
  gates.forEach((open) => open());
  await Promise.all(calls);
  assert.equal(peak, 2);
  assert.equal(bulkhead.inFlight(), 0);
});

test('withTimeout aborts the signal and rejects with TimeoutError, even if fn ignores it', async () => {
  let seen: AbortSignal | undefined;
  await assert.rejects(
    withTimeout(20, (signal) => {
      seen = signal;
      return new Promise(() => {});
    }),
    { name: 'TimeoutError' },
  );
  assert.equal(seen?.aborted, true);
  assert.equal(await withTimeout(1000, async () => 'fast'), 'fast');
});
