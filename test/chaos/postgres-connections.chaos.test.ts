import assert from 'node:assert/strict';
import { chaosScenario, checkInvariants, log, orderStream, report, sleep } from './harness.ts';

// The shared PostgreSQL server is never restarted: every connection of this namespace's service
// roles is terminated instead (pools, relay advisory-lock sessions, LISTEN connections), 4 times.
chaosScenario('every PostgreSQL connection of the services dropped, repeatedly, mid-stream', async (chaos) => {
  const startedAt = Date.now();
  const streaming = orderStream(chaos, { ratePerSecond: 5, durationMs: 30_000 });
  await sleep(8000);
  const terminated: number[] = [];
  for (let round = 0; round < 4; round++) {
    terminated.push(await chaos.dropDatabaseConnections());
    log(`terminated ${terminated.at(-1)} service connections`);
    await sleep(3000);
  }
  const stream = await streaming;
  const settled = await checkInvariants(chaos, stream);
  report('postgres-connections', { ...settled, accepted: stream.accepted.length, failed: stream.failed, terminated,
    erroredAttempts: stream.erroredAttempts, longestAcceptGapMs: stream.longestAcceptGapMs, totalMs: Date.now() - startedAt });
  assert.equal(stream.failed, 0);
  assert.ok(terminated[0] > 0, 'there were connections to drop');
});
