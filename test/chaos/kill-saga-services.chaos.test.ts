import assert from 'node:assert/strict';
import { chaosScenario, checkInvariants, log, metricValue, orderStream, report, sagaServices, sleep, waitFor } from './harness.ts';

chaosScenario('kill -9 of each saga service in turn, mid-stream: every order ends final, once, stock conserved', async (chaos) => {
  const startedAt = Date.now();
  const streaming = orderStream(chaos, { ratePerSecond: 5, durationMs: 40_000 });
  const restartMs: Record<string, number> = {};
  const startedAfterMs: Record<string, { serving: number; consuming: number }> = {};
  for (const service of sagaServices) {
    await sleep(5000);
    const previousUrl = await chaos.instanceUrl(service);
    log(`kill -9 ${service}`);
    const killedAt = Date.now();
    chaos.kill(service, 'SIGKILL');
    await chaos.waitForRestart(service, previousUrl);
    restartMs[service] = Date.now() - killedAt;
    log(`${service} ready again after ${restartMs[service]} ms`);
    // From the replacement process's own start: when it served HTTP, and when its consumers had their partitions back.
    const replacement = await chaos.instanceUrl(service, previousUrl);
    const page = await waitFor(async () => {
      const text = await (await fetch(`${replacement}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
      return metricValue(text, 'service_start_seconds', { phase: 'consuming' }) > 0 ? text : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200, message: `${service}'s consumers to join` });
    startedAfterMs[service] = {
      serving: Math.round(metricValue(page, 'service_start_seconds', { phase: 'serving' }) * 1000),
      consuming: Math.round(metricValue(page, 'service_start_seconds', { phase: 'consuming' }) * 1000),
    };
  }
  const stream = await streaming;
  const settled = await checkInvariants(chaos, stream);
  report('kill-saga-services', { ...settled, accepted: stream.accepted.length, failed: stream.failed,
    erroredAttempts: stream.erroredAttempts, longestAcceptGapMs: stream.longestAcceptGapMs, restartMs, startedAfterMs, totalMs: Date.now() - startedAt });
  assert.equal(stream.failed, 0, 'every order is eventually accepted (clients retry their idempotency key)');
  assert.ok(settled.confirmed > 0 && settled.cancelled > 0, 'the stream produced both outcomes');
});
