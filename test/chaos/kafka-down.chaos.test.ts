import assert from 'node:assert/strict';
import { chaosScenario, checkInvariants, log, orderStream, report, sleep } from './harness.ts';

chaosScenario('Kafka broker stopped for 20 s mid-stream: orders keep being accepted, the saga catches up', async (chaos) => {
  const startedAt = Date.now();
  const streaming = orderStream(chaos, { ratePerSecond: 5, durationMs: 40_000 });
  await sleep(8000);
  log('stopping kafka');
  await chaos.kafka.stop();
  const stoppedAt = Date.now();
  await sleep(20_000 - (Date.now() - stoppedAt));
  const downMs = Date.now() - stoppedAt;
  log(`starting kafka after ${downMs} ms`);
  await chaos.kafka.start();
  const backAt = Date.now();
  const stream = await streaming;
  const settled = await checkInvariants(chaos, stream);
  const acceptedWhileDown = stream.accepted.filter((o) => o.at >= stoppedAt && o.at < stoppedAt + downMs).length;
  report('kafka-down', { ...settled, accepted: stream.accepted.length, acceptedWhileDown, failed: stream.failed,
    erroredAttempts: stream.erroredAttempts, longestAcceptGapMs: stream.longestAcceptGapMs, kafkaDownMs: downMs,
    restAfterKafkaBackMs: Date.now() - backAt, totalMs: Date.now() - startedAt });
  assert.equal(stream.failed, 0);
  assert.ok(acceptedWhileDown > 0, 'orders are accepted while Kafka is down (transactional outbox)');
});
