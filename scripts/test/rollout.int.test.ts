// The rollout's decisions on real etcd (the traffic split, the registrations it waits for), with a
// stand-in launcher and a gateway `/metrics` page scripted per scenario: what must happen when the new
// build answers well, and when it does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEtcdClient, instanceKey, type ServiceInstance } from '@meridian/discovery';
import { trafficKey } from '../../services/gateway/src/versions.ts';
import type { ServiceBuild, ServiceProcess } from '../platform.ts';
import { registered, rollOut, type LauncherControl } from '../lib/rollout.ts';

const etcdEndpoints = (process.env.ETCD_ENDPOINTS ?? 'http://127.0.0.1:2379').split(',');
const etcd = createEtcdClient({ endpoints: etcdEndpoints, timeoutMs: 5000 });

/**
 * A namespace with one orders instance of 1.0.0, a launcher that registers what it starts as ready, and
 * a gateway whose counters grow per scrape by `perScrape(version)` answers (`errors` of them 5xx).
 */
async function stage(t: import('node:test').TestContext, perScrape: (version: string) => { answers: number; errors: number; seconds: number }) {
  const ns = `rollout_${randomUUID().slice(0, 8)}`;
  t.after(() => etcd.deletePrefix(`/meridian/${ns}/`));
  const register = (version: string, id = randomUUID()) => {
    const instance: ServiceInstance = { service: 'orders', version, instanceId: id, url: 'http://127.0.0.1:1', apiVersions: ['v1'], health: 'ready', startedAt: new Date().toISOString() };
    return etcd.put(instanceKey(ns, 'orders', id), JSON.stringify(instance)).then(() => id);
  };
  const processes: (ServiceProcess & { registration: string })[] = [];
  processes.push({ id: 'orders#1', service: 'orders', slot: '1', build: { script: 'src/main.ts', cwd: '.' }, state: 'running', registration: await register('1.0.0') });
  const retired: string[] = [];
  const totals = new Map<string, { answers: number; errors: number; slow: number }>();
  const gateway = createServer((_request, response) => {
    const lines: string[] = [];
    for (const version of ['1.0.0', '2.0.0']) {
      const step = perScrape(version);
      const total = totals.get(version) ?? { answers: 0, errors: 0, slow: 0 };
      total.answers += step.answers;
      total.errors += step.errors;
      total.slow += step.seconds >= 1 ? step.answers : 0;
      totals.set(version, total);
      lines.push(`gateway_upstream_responses_total{service="orders",version="${version}",status_code="202"} ${total.answers - total.errors}`);
      lines.push(`gateway_upstream_responses_total{service="orders",version="${version}",status_code="500"} ${total.errors}`);
      lines.push(`gateway_upstream_duration_seconds_bucket{service="orders",version="${version}",le="0.05"} ${total.answers - total.slow}`);
      lines.push(`gateway_upstream_duration_seconds_bucket{service="orders",version="${version}",le="2.5"} ${total.answers}`);
      lines.push(`gateway_upstream_duration_seconds_bucket{service="orders",version="${version}",le="+Inf"} ${total.answers}`);
    }
    response.end(`${lines.join('\n')}\n`);
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => gateway.close(resolve)));
  const control: LauncherControl = {
    ns,
    gatewayUrl: `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`,
    instances: (service) => processes.filter((p) => p.service === service),
    async launchBuild(service: string, build: ServiceBuild, count: number) {
      const started = [];
      for (let i = 0; i < count; i++) {
        const process = { id: `${service}#${processes.length + 1}`, service, slot: String(processes.length + 1), build, state: 'running' as const, registration: await register(build.version!) };
        processes.push(process);
        started.push(process);
      }
      return started;
    },
    async retire(ids: string[]) {
      for (const id of ids) {
        const index = processes.findIndex((p) => p.id === id);
        await etcd.delete(instanceKey(ns, 'orders', processes[index].registration));
        processes.splice(index, 1);
        retired.push(id);
      }
    },
  };
  const lines: string[] = [];
  const run = () => rollOut(control, { service: 'orders', build: { script: 'x.js', cwd: '.', version: '2.0.0' }, steps: [10, 50, 100], stepMs: 50, etcdEndpoints, print: (line) => lines.push(line) });
  const split = async () => (await etcd.rangePrefix(trafficKey(ns, 'orders'))).kvs[0]?.value;
  const versions = async () => (await registered(etcd, ns, 'orders')).map((i) => i.version);
  return { run, retired, lines, split, versions };
}

test('a healthy new build gets every step, then the old instances are drained and the split cleared', async (t) => {
  const s = await stage(t, () => ({ answers: 40, errors: 0, seconds: 0.01 }));
  const result = await s.run();
  assert.equal(result.outcome, 'upgraded');
  assert.deepEqual(result.steps.map((step) => [step.share, step.verdict]), [[10, 'ok'], [50, 'ok'], [100, 'ok']]);
  assert.deepEqual(s.retired, ['orders#1']);
  assert.equal(await s.split(), undefined, 'the split is cleared once only the new build runs');
  assert.deepEqual(await s.versions(), ['2.0.0']);
  assert.match(s.lines.at(-1)!, /done: every instance runs 2\.0\.0/);
});

test('a new build answering 5xx is rolled back by itself at its first step: old build at 100%, new instances retired', async (t) => {
  const s = await stage(t, (version) => (version === '2.0.0' ? { answers: 10, errors: 3, seconds: 0.01 } : { answers: 40, errors: 0, seconds: 0.01 }));
  const result = await s.run();
  assert.equal(result.outcome, 'rolled back');
  assert.equal(result.reason, 'error rate 30.0% above 5.0%');
  assert.deepEqual(result.steps.map((step) => step.share), [10]);
  assert.deepEqual(s.retired, ['orders#2']);
  assert.equal(await s.split(), undefined);
  assert.deepEqual(await s.versions(), ['1.0.0']);
});

test('a new build much slower than the old one is rolled back on its p99', async (t) => {
  const s = await stage(t, (version) => (version === '2.0.0' ? { answers: 30, errors: 0, seconds: 2 } : { answers: 40, errors: 0, seconds: 0.01 }));
  const result = await s.run();
  assert.equal(result.outcome, 'rolled back');
  assert.match(result.reason ?? '', /^p99 2500 ms above 300 ms \(previous build 50 ms\)$/);
  assert.deepEqual(await s.versions(), ['1.0.0']);
});

test('an upgrade to a version already running is refused before anything starts', async (t) => {
  const s = await stage(t, () => ({ answers: 1, errors: 0, seconds: 0.01 }));
  await s.run();
  await assert.rejects(s.run(), /orders 2\.0\.0 is already running/);
  assert.deepEqual(s.retired, ['orders#1']);
});
