import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { renderAlertmanagerConfig } from '../config.ts';

function amtoolCheck(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-am-'));
  try {
    writeFileSync(join(dir, 'alertmanager.yml'), yaml);
    return execFileSync('amtool', ['check-config', join(dir, 'alertmanager.yml')], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the rendered config passes amtool and routes every alert to the ops console, resolved ones included, with its token', () => {
  const yaml = renderAlertmanagerConfig({ webhook: { url: 'http://127.0.0.1:3002/ops-api/alerts/notifications', token: 'a-token-of-some-length' } });
  assert.match(amtoolCheck(yaml), /SUCCESS/);
  const config = parse(yaml);
  assert.equal(config.route.receiver, 'ops-console');
  assert.deepEqual(config.route.group_by, ['alertname', 'namespace', 'service']);
  const [webhook] = config.receivers[0].webhook_configs;
  assert.equal(webhook.send_resolved, true);
  assert.equal(webhook.http_config.authorization.credentials, 'a-token-of-some-length');
});

test('without a webhook the config is still valid: alerts are kept and shown, sent nowhere', () => {
  const yaml = renderAlertmanagerConfig();
  assert.match(amtoolCheck(yaml), /SUCCESS/);
  assert.deepEqual(parse(yaml).receivers, [{ name: 'none' }]);
});
