/**
 * Upgrades without downtime: under a steady order stream, orders and inventory are rolled to their
 * next version (this checkout's deployable artifact plus an expand migration, as `npm run upgrade`
 * builds it) through canary 10% -> 50% -> 100%, then rolled back to the build they started on. Every
 * accepted order ends final exactly once, stock is conserved, no client sees a 5xx, and the gateway's
 * per-version metrics show both builds served traffic.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkDeployable, prepareBuild } from '../../scripts/lib/builds.ts';
import { parseSamples, rollOut } from '../../scripts/lib/rollout.ts';
import { call, chaosScenario, checkInvariants, log, orderStream, report, sleep } from './harness.ts';

const upgraded = ['orders', 'inventory'] as const;
/** The expand step of an expand/contract change: a nullable column the current build never reads. */
const expandMigration: Record<(typeof upgraded)[number], string> = {
  orders: 'alter table orders add column if not exists gift_note text;',
  inventory: 'alter table stock add column if not exists bin_location text;',
};

chaosScenario('orders and inventory rolled to their next version and back under a steady order stream: nothing lost, doubled or refused', async (chaos) => {
  // Artifacts go to the scenario's own data folder; the checks ask the scenario's Kafka and etcd.
  const env = { ...process.env, MERIDIAN_DATA_DIR: dirname(dirname(chaos.platform.logDir)), KAFKA_BROKERS: chaos.kafka.address, ...chaos.kafka.env, ETCD_ENDPOINTS: chaos.etcd.address };
  const etcdEndpoints = [chaos.etcd.address];
  const builds = await Promise.all(upgraded.map(async (service) => {
    const build = await prepareBuild({ service, env, log: (line) => log(`${service}: ${line}`) });
    writeFileSync(join(build.cwd, 'migrations', '900_next_version_expand.sql'), `${expandMigration[service]}\n`);
    log(`${service}: ${await checkDeployable(build, chaos.ns, { env }).then((out) => out.split('\n').at(-1))}`);
    build.cleanup();
    return { service, script: build.script, cwd: build.cwd, version: `${build.version}.next` };
  }));

  // Inventory answers the gateway too: a staff member reads stock levels while orders flow.
  const reads = new AbortController();
  let readErrors = 0;
  const stockReads = (async () => {
    while (!reads.signal.aborted) {
      const product = chaos.products[Math.floor(Math.random() * chaos.products.length)];
      const reply = await call(chaos.gatewayUrl, 'GET', `/api/v1/inventory/${product.id}`, { token: chaos.staffToken }).catch(() => ({ status: 0, body: undefined }));
      if (reply.status !== 200) readErrors += 1;
      await sleep(100);
    }
  })();
  const streaming = new AbortController();
  const stream = orderStream(chaos, { ratePerSecond: 5, durationMs: 600_000, signal: streaming.signal });
  // Ranges generous enough for a busy 2-core machine: this checks the procedure, the verdicts have their unit test.
  const limits = { p99SlackMs: 3000 };
  const steps = [10, 50, 100];
  try {
    await sleep(2_000);
    const up = await Promise.all(builds.map((build) => rollOut(chaos.platform, { service: build.service, build, steps, stepMs: 4_000, limits, etcdEndpoints, print: log })));
    for (const result of up) assert.equal(result.outcome, 'upgraded', `${result.to}: ${result.reason}`);
    const previous = upgraded.map((service) => ({ service, build: chaos.platform.previousBuild(service) }));
    await sleep(2_000);
    const down = await Promise.all(previous.map(({ service, build }) => {
      assert.ok(build?.version, `${service} remembers the build it replaced`);
      return rollOut(chaos.platform, { service, build: { ...build, version: build.version }, steps, stepMs: 4_000, limits, etcdEndpoints, print: log });
    }));
    for (const result of down) assert.equal(result.outcome, 'upgraded', `back to ${result.to}: ${result.reason}`);
    await sleep(2_000);
  } finally {
    streaming.abort();
    reads.abort();
  }
  const orders = await stream;
  await stockReads;
  const settled = await checkInvariants(chaos, orders);

  // Both builds of each service answered through the gateway.
  const responses = parseSamples(await (await fetch(`${chaos.gatewayUrl}/metrics`)).text(), 'gateway_upstream_responses_total');
  const served: Record<string, Record<string, number>> = {};
  for (const sample of responses) {
    const perVersion = (served[sample.labels.service] ??= {});
    perVersion[sample.labels.version] = (perVersion[sample.labels.version] ?? 0) + sample.value;
  }
  for (const build of builds) {
    const old = chaos.platform.instances(build.service).map((p) => p.build.version);
    assert.ok((served[build.service]?.[build.version] ?? 0) > 0, `${build.service} ${build.version} served traffic: ${JSON.stringify(served[build.service])}`);
    assert.ok(Object.entries(served[build.service] ?? {}).some(([version, n]) => version !== build.version && n > 0), `${build.service}'s previous build served traffic`);
    assert.ok(old.every((version) => version !== build.version), `${build.service} runs its previous build again after the rollback`);
  }
  report('rolling-upgrade', { ...settled, accepted: orders.accepted.length, erroredAttempts: orders.erroredAttempts, readErrors, longestAcceptGapMs: orders.longestAcceptGapMs, served });
  assert.equal(orders.failed, 0, 'every order is eventually accepted');
  assert.equal(orders.erroredAttempts, 0, 'no order attempt was answered with a 5xx or not at all');
  assert.equal(readErrors, 0, 'every stock read was answered 200');
}, { timeoutMs: 600_000 });
