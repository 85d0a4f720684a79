import { test } from 'node:test';
import assert from 'node:assert/strict';
import { register } from '@meridian/discovery';
import { infra, uniqueName, waitFor } from '@meridian/testkit';
import { startDiscoveryBridge, type TargetGroup } from '../sd-server.ts';

const { etcdEndpoints } = infra();

test('the bridge serves registered instances as http_sd targets and follows changes', async (t) => {
  const ns = uniqueName('sd');
  const instance = (service: string, instanceId: string, port: number) => ({
    service,
    version: '0.3.1',
    instanceId,
    url: `http://127.0.0.1:${port}`,
    apiVersions: ['v1'],
    health: 'ready' as const,
    startedAt: new Date().toISOString(),
  });
  const orders = await register({ endpoints: etcdEndpoints, ns, instance: instance('orders', 'orders-a', 41001) });
  t.after(() => orders.deregister());
  const bridge = await startDiscoveryBridge({ etcdEndpoints, ns });
  t.after(() => bridge.stop());
  const targets = async (): Promise<TargetGroup[]> => (await fetch(bridge.url)).json() as Promise<TargetGroup[]>;

  assert.deepEqual(await targets(), [
    { targets: ['127.0.0.1:41001'], labels: { service: 'orders', instance_id: 'orders-a', version: '0.3.1', namespace: ns } },
  ]);

  const catalog = await register({ endpoints: etcdEndpoints, ns, instance: instance('catalog', 'catalog-a', 41002) });
  t.after(() => catalog.deregister());
  await waitFor(async () => (await targets()).length === 2, { timeoutMs: 2000, message: 'the new instance' });

  await orders.deregister();
  await waitFor(async () => (await targets()).length === 1, { timeoutMs: 2000, message: 'the deregistered instance to disappear' });
  assert.equal((await targets())[0].labels.instance_id, 'catalog-a');
});
