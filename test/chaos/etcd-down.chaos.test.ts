import assert from 'node:assert/strict';
import { catalogReads, chaosScenario, checkInvariants, log, orderStream, report, sleep, waitFor } from './harness.ts';

const everyService = ['catalog', 'gateway', 'identity', 'inventory', 'notifications', 'orders', 'payments'];

chaosScenario('etcd stopped for 15 s: instances keep their last-known view and keep serving; registrations come back', async (chaos) => {
  const startedAt = Date.now();
  const streaming = orderStream(chaos, { ratePerSecond: 5, durationMs: 40_000 });
  const reads = catalogReads(chaos);
  await sleep(8000);
  log('stopping etcd');
  await chaos.etcd.stop();
  const stoppedAt = Date.now();
  await sleep(15_000);
  log('starting etcd');
  await chaos.etcd.start();
  const backAt = Date.now();

  // Past a lease TTL (10 s) after etcd returned, every instance is registered and ready.
  await sleep(11_000);
  const ready = await Promise.all(everyService.map((service) => chaos.instanceUrl(service).then(() => service, () => undefined)));
  assert.deepEqual(ready.filter(Boolean), everyService, 'every service is registered and ready again');

  // The gateway's resolver watches again: a catalog restarted on a new port is routed to.
  const previousUrl = await chaos.instanceUrl('catalog');
  chaos.kill('catalog', 'SIGKILL');
  const killedAt = Date.now();
  await chaos.waitForRestart('catalog', previousUrl);
  await waitFor(async () => {
    const recent = reads.results.filter((r) => r.at > Date.now() - 1000);
    return recent.length > 0 && recent.every((r) => r.status === 200);
  }, { timeoutMs: 30_000, intervalMs: 250, message: 'the gateway to route to the restarted catalog' });
  const catalogBackMs = Date.now() - killedAt;

  await reads.stop();
  const failedWhileDown = reads.failedBetween(stoppedAt, backAt);
  const stream = await streaming;
  const settled = await checkInvariants(chaos, stream);
  const acceptedWhileDown = stream.accepted.filter((o) => o.at >= stoppedAt && o.at < backAt).length;
  report('etcd-down', { ...settled, accepted: stream.accepted.length, acceptedWhileDown, failed: stream.failed,
    erroredAttempts: stream.erroredAttempts, catalogReadsWhileDown: reads.results.filter((r) => r.at >= stoppedAt && r.at < backAt).length,
    failedReadsWhileDown: failedWhileDown.length, catalogBackMs, totalMs: Date.now() - startedAt });
  assert.deepEqual(failedWhileDown, [], 'catalog reads answered 200 while etcd was down');
  assert.ok(acceptedWhileDown > 0, 'orders were accepted while etcd was down');
  assert.equal(stream.failed, 0);
});
