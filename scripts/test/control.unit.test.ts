import { test } from 'node:test';
import assert from 'node:assert/strict';
import { controlClient, serveControl } from '../lib/control.ts';
import type { Platform, ServiceBuild, ServiceProcess } from '../platform.ts';

/** A launcher's bookkeeping without processes: what the control channel relays is all this checks. */
function fakePlatform() {
  const running: ServiceProcess[] = [{ id: 'orders#1', service: 'orders', slot: '1', build: { script: 'src/main.ts', cwd: '/repo' }, state: 'running' }];
  const previous = new Map<string, ServiceBuild>();
  return {
    running,
    instances: (service?: string) => running.filter((p) => !service || p.service === service),
    launchBuild(service: string, build: ServiceBuild, count: number) {
      if (service !== 'orders') throw new Error(`no backend service ${service} in this platform`);
      const started = Array.from({ length: count }, (_, i) => ({ id: `${service}#${running.length + 1 + i}`, service, slot: String(running.length + 1 + i), build, state: 'running' as const }));
      running.push(...started);
      return started;
    },
    async retire(ids: string[], registeredAs?: string) {
      for (const id of ids) {
        const [gone] = running.splice(running.findIndex((p) => p.id === id), 1);
        previous.set(gone.service, { ...gone.build, version: gone.build.version ?? registeredAs });
      }
    },
    previousBuild: (service: string) => previous.get(service),
  };
}

test('the control channel starts and retires builds for holders of its token only', async (t) => {
  const platform = fakePlatform();
  const endpoint = await serveControl(platform as unknown as Platform);
  t.after(() => endpoint.close());
  const launcher = controlClient({ url: endpoint.url, token: endpoint.token, ns: 'dev', gatewayUrl: 'http://127.0.0.1:8080' });

  const anonymous = await fetch(`${endpoint.url}/instances`);
  assert.equal(anonymous.status, 401);
  const wrong = controlClient({ url: endpoint.url, token: 'guessed', ns: 'dev', gatewayUrl: '' });
  await assert.rejects(wrong.instances('orders'), /the launcher refused GET \/instances\?service=orders: a bearer token/);

  const next = { script: '/builds/orders/0.2.0/src/main.js', cwd: '/builds/orders/0.2.0', version: '0.2.0' };
  const started = await launcher.launchBuild('orders', next, 1);
  assert.deepEqual(started.map((p) => [p.id, p.build.version]), [['orders#2', '0.2.0']]);
  assert.deepEqual((await launcher.instances('orders')).map((p) => p.id), ['orders#1', 'orders#2']);
  await assert.rejects(launcher.launchBuild('nope', next, 1), /no backend service nope/);

  assert.equal(await launcher.previousBuild('orders'), undefined);
  await launcher.retire(['orders#1'], '1.0.0');
  assert.deepEqual(await launcher.previousBuild('orders'), { script: 'src/main.ts', cwd: '/repo', version: '1.0.0' });
  assert.deepEqual((await launcher.instances('orders')).map((p) => p.id), ['orders#2']);
});
