import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderPrometheusConfig } from '../config.ts';
import { ruleFiles } from '../prometheus.ts';
import type { ServiceInstance } from '@meridian/discovery';
import { toTargetGroups } from '../sd-server.ts';

test('the rendered config passes promtool check config, rule files included', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-prom-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'prometheus.yml');
  const yaml = renderPrometheusConfig({ sdUrl: 'http://127.0.0.1:9999/targets', rulesFiles: ruleFiles() });
  writeFileSync(file, yaml);
  const output = execFileSync('promtool', ['check', 'config', file], { encoding: 'utf8' });
  assert.match(output, /SUCCESS: .*prometheus\.yml is valid/);
  assert.match(output, /SUCCESS: \d+ rules found/);
  assert.match(yaml, /http_sd_configs:\n\s+- url: http:\/\/127\.0\.0\.1:9999\/targets\n\s+refresh_interval: 5s/);
  assert.match(yaml, /scrape_interval: 5s/);
});

test('toTargetGroups turns registry records into http_sd groups and skips unusable ones', () => {
  const instance = (service: string, instanceId: string, url: string): ServiceInstance => ({
    service,
    version: '1.2.0',
    instanceId,
    url,
    apiVersions: ['v1'],
    health: 'ready',
    startedAt: '2025-01-01T00:00:00.000Z',
  });
  const groups = toTargetGroups(
    [instance('orders', 'b', 'http://127.0.0.1:4100'), instance('payments', 'c', 'not a url'), instance('catalog', 'a', 'https://10.0.0.2:443')],
    'dev',
  );
  assert.deepEqual(groups, [
    { targets: ['10.0.0.2'], labels: { service: 'catalog', instance_id: 'a', version: '1.2.0', namespace: 'dev', __scheme__: 'https' } },
    { targets: ['127.0.0.1:4100'], labels: { service: 'orders', instance_id: 'b', version: '1.2.0', namespace: 'dev' } },
  ]);
});
