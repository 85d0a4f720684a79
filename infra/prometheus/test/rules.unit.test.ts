import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  alertRules,
  isBuiltinMetric,
  loadAlertRuleTests,
  loadRuleGroups,
  metricNamesIn,
  metricsMissingFromSources,
  recordingRules,
} from '@meridian/observability';
import { ruleFiles, rulesDir } from '../prometheus.ts';

const root = resolve(import.meta.dirname, '../../..');
const testFiles = readdirSync(rulesDir)
  .filter((file) => file.endsWith('.test.yml'))
  .map((file) => join(rulesDir, file));
const groups = loadRuleGroups(ruleFiles());
const alerts = alertRules(groups);

test('promtool check rules accepts every rule file', () => {
  const output = execFileSync('promtool', ['check', 'rules', ...ruleFiles()], { encoding: 'utf8' });
  assert.match(output, /SUCCESS/);
});

test('promtool test rules passes every rule test file', () => {
  assert.ok(testFiles.length > 0);
  const output = execFileSync('promtool', ['test', 'rules', ...testFiles], { cwd: rulesDir, encoding: 'utf8' });
  assert.doesNotMatch(output, /FAILED/);
});

test('every alert is tested both firing and not firing', () => {
  const cases = testFiles.flatMap(loadAlertRuleTests);
  for (const { alert } of alerts) {
    const own = cases.filter((testCase) => testCase.alertname === alert);
    assert.ok(own.some((testCase) => (testCase.exp_alerts ?? []).length > 0), `${alert} is never tested firing`);
    assert.ok(own.some((testCase) => (testCase.exp_alerts ?? []).length === 0), `${alert} is never tested silent`);
  }
});

test('every alert has a severity, a summary and a description', () => {
  assert.ok(alerts.length >= 8);
  for (const rule of alerts) {
    assert.match(rule.labels?.severity ?? '', /^(critical|warning)$/, rule.alert);
    assert.ok(rule.annotations?.summary, `${rule.alert} has no summary`);
    assert.ok(rule.annotations?.description, `${rule.alert} has no description`);
  }
});

test('every metric the rules use is produced by chassis or service code, or built in', () => {
  const recorded = new Set(recordingRules(groups).map((rule) => rule.record));
  const used = [...new Set(groups.flatMap((group) => group.rules).flatMap((rule) => metricNamesIn(rule.expr)))];
  const external = used.filter((name) => !recorded.has(name) && !isBuiltinMetric(name));
  const missing = metricsMissingFromSources(external, [join(root, 'packages'), join(root, 'services')]);
  assert.deepEqual(missing, [], `no packages/*/src or services/*/src declares: ${missing.join(', ')}`);
});
