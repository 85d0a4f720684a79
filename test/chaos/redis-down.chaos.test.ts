import assert from 'node:assert/strict';
import { catalogReads, chaosScenario, checkInvariants, log, metricsOf, metricValue, orderStream, report, sleep, waitFor } from './harness.ts';

const cacheHits = async (chaos: Parameters<typeof metricsOf>[0]) =>
  metricValue(await metricsOf(chaos, 'catalog'), 'cache_requests_total', { result: 'hit' });
const cacheErrors = async (chaos: Parameters<typeof metricsOf>[0]) =>
  metricValue(await metricsOf(chaos, 'catalog'), 'cache_errors_total');

chaosScenario('Redis stopped for 15 s: catalog reads keep answering from the database, the cache fills again after', async (chaos) => {
  const startedAt = Date.now();
  const streaming = orderStream(chaos, { ratePerSecond: 5, durationMs: 35_000 });
  const reads = catalogReads(chaos);
  await sleep(8000);
  const errorsBefore = await cacheErrors(chaos);
  assert.ok((await cacheHits(chaos)) > 0, 'the cache serves hits before the fault');
  log('stopping redis');
  await chaos.redis.stop();
  const stoppedAt = Date.now();
  await sleep(15_000);
  const errorsDuring = (await cacheErrors(chaos)) - errorsBefore;
  const hitsAtReturn = await cacheHits(chaos);
  log('starting redis');
  await chaos.redis.start();
  const backAt = Date.now();
  await waitFor(async () => (await cacheHits(chaos)) >= hitsAtReturn + 10,
    { timeoutMs: 30_000, intervalMs: 500, message: 'cache hits to grow again after Redis returned' });
  const hitsBackMs = Date.now() - backAt;
  await reads.stop();
  const stream = await streaming;
  const settled = await checkInvariants(chaos, stream);
  const failedReads = reads.failedBetween(startedAt, Date.now());
  report('redis-down', { ...settled, accepted: stream.accepted.length, failed: stream.failed, erroredAttempts: stream.erroredAttempts,
    catalogReads: reads.results.length, catalogReadsWhileDown: reads.results.filter((r) => r.at >= stoppedAt && r.at < backAt).length,
    failedReads: failedReads.length, cacheErrorsWhileDown: errorsDuring, hitsBackMs, totalMs: Date.now() - startedAt });
  assert.deepEqual(failedReads, [], 'every catalog read answered 200, Redis or not');
  assert.ok(errorsDuring > 0, 'reads during the outage went past the cache (counted as cache errors)');
  assert.equal(stream.failed, 0);
});
