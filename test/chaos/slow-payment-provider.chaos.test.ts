import assert from 'node:assert/strict';
import { chaosScenario, checkInvariants, log, metricsOf, metricValue, orderStream, report, sleep } from './harness.ts';

const maxConcurrent = 2;
const maxAttempts = 3;

// Payments runs normally, then (restarted) with a provider slower than its 300 ms timeout for 15 s,
// then (restarted) normally again. The bulkhead is narrowed to 2 calls so it binds.
chaosScenario('a slow payment provider: timeouts, retries, open circuit, bounded in-flight; the saga still completes', async (chaos) => {
  const startedAt = Date.now();
  const streaming = orderStream(chaos, { ratePerSecond: 5, durationMs: 50_000 });
  await sleep(5000);

  let previousUrl = await chaos.instanceUrl('payments');
  log('payments: provider latency 1500 ms (timeout 300 ms)');
  chaos.kill('payments', 'SIGTERM', { PAYMENT_PROVIDER_LATENCY_MS: '1500' });
  await chaos.waitForRestart('payments', previousUrl);
  previousUrl = await chaos.instanceUrl('payments');

  const circuitStates = new Set<number>();
  let maxInFlight = 0;
  const slowUntil = Date.now() + 15_000;
  while (Date.now() < slowUntil) {
    const page = await metricsOf(chaos, 'payments');
    circuitStates.add(metricValue(page, 'payment_provider_circuit_state'));
    maxInFlight = Math.max(maxInFlight, metricValue(page, 'payment_provider_in_flight'));
    await sleep(200);
  }

  log('payments: provider latency back to 20 ms');
  chaos.kill('payments', 'SIGTERM', { PAYMENT_PROVIDER_LATENCY_MS: '20' });
  await chaos.waitForRestart('payments', previousUrl);
  const healedAt = new Date();

  const stream = await streaming;
  const settled = await checkInvariants(chaos, stream);
  const declines = await chaos.db('payments')<{ reason: string; attempts: number; n: number }[]>`
    select reason, attempts, count(*)::int as n from payments where status = 'declined' group by reason, attempts order by reason, attempts`;
  const afterHeal = await chaos.db('orders')<{ status: string; reason: string | null; n: number }[]>`
    select status, reason, count(*)::int as n from orders
    where payment_token = 'tok_visa' and created_at > ${new Date(healedAt.getTime() + 1000)} group by status, reason`;
  report('slow-payment-provider', { ...settled, accepted: stream.accepted.length, failed: stream.failed,
    circuitStates: [...circuitStates].sort(), maxInFlight, declines, afterHeal, totalMs: Date.now() - startedAt });

  assert.ok(circuitStates.has(2), 'the circuit breaker opened');
  assert.ok(maxInFlight >= 1 && maxInFlight <= maxConcurrent, `in-flight provider calls stayed within the bulkhead (max ${maxInFlight})`);
  const timedOut = declines.filter((d) => d.reason === 'provider_timeout');
  assert.ok(timedOut.length > 0, 'payments declined with provider_timeout');
  assert.ok(timedOut.every((d) => d.attempts === maxAttempts), 'a timed-out payment was tried maxAttempts times');
  assert.ok(declines.some((d) => d.reason === 'provider_unavailable'), 'the open circuit failed payments fast (provider_unavailable)');
  assert.ok(settled.cancelReasons['payment_declined: provider_timeout'] > 0);
  assert.ok(afterHeal.some((o) => o.status === 'CONFIRMED'), 'orders are confirmed again once the provider is healthy');
  assert.ok(afterHeal.every((o) => !o.reason?.startsWith('payment_declined: provider')), 'no provider failure after healing');
  assert.equal(stream.failed, 0);
}, { env: { PAYMENT_MAX_CONCURRENT: String(maxConcurrent), PAYMENT_MAX_ATTEMPTS: String(maxAttempts) } });
