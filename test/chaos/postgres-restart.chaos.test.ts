import assert from 'node:assert/strict';
import { chaosScenario, checkInvariants, log, orderStream, report, sleep } from './harness.ts';

// The PostgreSQL server itself stopped (fast shutdown: every session cut, nothing accepted) and started
// again mid-stream. It runs on a private cluster, so the shared server is never touched; that cluster
// checks passwords, so every service also proves it logs in with its own.
chaosScenario('PostgreSQL stopped for 10 s and started again mid-stream: the API refuses meanwhile, nothing is lost or doubled', async (chaos) => {
  const postgres = chaos.postgres!;
  const startedAt = Date.now();
  const streaming = orderStream(chaos, { ratePerSecond: 5, durationMs: 40_000, giveUpMs: 45_000 });
  await sleep(8000);
  log('stopping postgres');
  await postgres.stop();
  const stoppedAt = Date.now();
  await sleep(10_000);
  const downMs = Date.now() - stoppedAt;
  log(`starting postgres after ${downMs} ms`);
  await postgres.start();
  const backAt = Date.now();
  const stream = await streaming;
  const settled = await checkInvariants(chaos, stream);
  const afterBack = stream.accepted.filter((o) => o.at >= backAt);
  const acceptedAfterBack = afterBack.length;
  const firstAcceptAfterBackMs = afterBack.length > 0 ? Math.min(...afterBack.map((o) => o.at)) - backAt : null;
  report('postgres-restart', { ...settled, accepted: stream.accepted.length, acceptedAfterBack, firstAcceptAfterBackMs, failed: stream.failed,
    erroredAttempts: stream.erroredAttempts, longestAcceptGapMs: stream.longestAcceptGapMs, postgresDownMs: downMs,
    totalMs: Date.now() - startedAt });
  assert.equal(stream.failed, 0, 'every order was accepted in the end (retried with its idempotency key)');
  assert.ok(stream.erroredAttempts > 0, 'the outage was felt: some attempts were refused while PostgreSQL was down');
  assert.ok(acceptedAfterBack > 0, 'orders are accepted again once PostgreSQL is back');
}, { ownPostgres: true });
