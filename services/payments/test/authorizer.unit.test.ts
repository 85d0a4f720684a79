import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createAuthorizer } from '../src/authorizer.ts';
import { createSimulatedProvider, type PaymentProvider } from '../src/provider.ts';

const request = (token: string, orderId = randomUUID()) => ({ orderId, amountCents: 1999, currency: 'EUR', token });

function authorizerFor(provider: PaymentProvider, overrides: { failureThreshold?: number; cooldownMs?: number; maxConcurrent?: number; maxQueued?: number; timeoutMs?: number } = {}) {
  const sleeps: number[] = [];
  let calls = 0;
  const counting: PaymentProvider = {
    authorize: (req, signal) => {
      calls++;
      return provider.authorize(req, signal);
    },
  };
  const authorizer = createAuthorizer({
    provider: counting,
    breaker: { failureThreshold: overrides.failureThreshold ?? 10, cooldownMs: overrides.cooldownMs ?? 60_000 },
    bulkhead: { maxConcurrent: overrides.maxConcurrent ?? 4, maxQueued: overrides.maxQueued ?? 10 },
    timeoutMs: overrides.timeoutMs ?? 50,
    maxAttempts: 3,
    backoff: { baseMs: 10, maxMs: 100 },
    onRetry: (ms) => void sleeps.push(ms),
  });
  return { authorize: authorizer.authorize, authorizer, sleeps, calls: () => calls };
}

test('simulated provider: decline tokens decline with their reason, the pay tokens authorize, any other is unknown_token', async () => {
  const { authorize } = authorizerFor(createSimulatedProvider({ latencyMs: 1 }));
  assert.deepEqual(await authorize(request('tok_decline')), { status: 'declined', reason: 'card_declined', attempts: 1 });
  assert.deepEqual(await authorize(request('tok_insufficient_funds')), {
    status: 'declined',
    reason: 'insufficient_funds',
    attempts: 1,
  });
  const ok = await authorize(request('tok_visa'));
  assert.equal(ok.status, 'authorized');
  assert.equal((await authorize(request('tok_mastercard'))).status, 'authorized');
  for (const token of ['tok_amex', 'TOK_VISA', 'tok_visa ', '__proto__', 'constructor']) {
    assert.deepEqual(await authorize(request(token)), { status: 'declined', reason: 'unknown_token', attempts: 1 }, token);
  }
});

test('simulated provider is idempotent by orderId', async () => {
  const provider = createSimulatedProvider({ latencyMs: 0 });
  const req = request('tok_visa');
  const first = await provider.authorize(req, AbortSignal.timeout(1000));
  const again = await provider.authorize(req, AbortSignal.timeout(1000));
  assert.deepEqual(again, first);
});

test('tok_timeout times out on every attempt, is retried with backoff, then declines provider_timeout', async () => {
  const { authorize, sleeps, calls } = authorizerFor(createSimulatedProvider({ latencyMs: 1 }));
  const started = Date.now();
  assert.deepEqual(await authorize(request('tok_timeout')), { status: 'declined', reason: 'provider_timeout', attempts: 3 });
  assert.equal(calls(), 3);
  assert.equal(sleeps.length, 2, 'backoff between attempts, not after the last');
  assert.ok(sleeps.every((ms) => ms >= 0 && ms <= 100), `jittered backoff within the cap: ${sleeps}`);
  assert.ok(Date.now() - started >= 150, 'each attempt waited for its timeout');
});

test('a transient failure is retried and then succeeds', async () => {
  let failuresLeft = 2;
  const flaky: PaymentProvider = {
    async authorize() {
      if (failuresLeft-- > 0) throw new Error('connection reset');
      return { outcome: 'authorized', authorizationId: 'auth-1' };
    },
  };
  const { authorize, calls } = authorizerFor(flaky);
  assert.deepEqual(await authorize(request('tok_visa')), { status: 'authorized', authorizationId: 'auth-1', attempts: 3 });
  assert.equal(calls(), 3);
});

test('an open circuit declines fast with provider_unavailable without calling the provider', async () => {
  const down: PaymentProvider = { authorize: () => Promise.reject(new Error('503')) };
  const { authorize, calls } = authorizerFor(down, { failureThreshold: 3 });
  assert.deepEqual(await authorize(request('tok_visa')), {
    status: 'declined',
    reason: 'provider_unavailable',
    attempts: 3,
  });
  assert.equal(calls(), 3);
  assert.deepEqual(await authorize(request('tok_visa')), {
    status: 'declined',
    reason: 'provider_unavailable',
    attempts: 1,
  });
  assert.equal(calls(), 3, 'no call while open');
});

test('after the cooldown one trial call goes through: a success closes the circuit', async () => {
  let healthy = false;
  const recovering: PaymentProvider = {
    authorize: async () => {
      if (!healthy) throw new Error('503');
      return { outcome: 'authorized', authorizationId: 'auth-2' };
    },
  };
  const { authorize, authorizer } = authorizerFor(recovering, { failureThreshold: 2, cooldownMs: 100 });
  assert.equal((await authorize(request('tok_visa'))).status, 'declined');
  assert.equal(authorizer.circuitState(), 'open');
  healthy = true;
  await new Promise((resolve) => setTimeout(resolve, 120));
  assert.equal((await authorize(request('tok_visa'))).status, 'authorized');
  assert.equal(authorizer.circuitState(), 'closed');
});

test('the bulkhead bounds calls in flight; past its queue a call is refused and declined provider_unavailable', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let inside = 0;
  let most = 0;
  const slow: PaymentProvider = {
    async authorize() {
      inside += 1;
      most = Math.max(most, inside);
      await gate;
      inside -= 1;
      return { outcome: 'authorized', authorizationId: 'auth-3' };
    },
  };
  const { authorize, authorizer } = authorizerFor(slow, { maxConcurrent: 2, maxQueued: 1, timeoutMs: 5_000 });
  const admitted = [authorize(request('tok_visa')), authorize(request('tok_visa')), authorize(request('tok_visa'))];
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(authorizer.inFlight(), 2);
  // Refused on every attempt while the two slots and the queue are taken.
  const refused = await authorize(request('tok_visa'));
  assert.deepEqual(refused, { status: 'declined', reason: 'provider_unavailable', attempts: 3 });
  release();
  const done = await Promise.all(admitted);
  assert.ok(done.some((d) => d.status === 'authorized'));
  assert.equal(most, 2, 'never more than two calls in flight');
});
