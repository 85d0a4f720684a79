import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import {
  checkVariables,
  dashboardQueries,
  dataPanels,
  expandVariables,
  expressionsAsRuleFile,
  isBuiltinMetric,
  loadDashboards,
  loadRuleGroups,
  metricNamesIn,
  metricsMissingFromSources,
  recordingRules,
} from '@meridian/observability';
import { ruleFiles } from '../../prometheus/prometheus.ts';

const root = resolve(import.meta.dirname, '../../..');
const grafanaDir = join(root, 'infra/grafana');
const dashboards = loadDashboards(join(grafanaDir, 'dashboards'));
const datasources = parse(readFileSync(join(grafanaDir, 'provisioning/datasources/prometheus.yml'), 'utf8'));
const providers = parse(readFileSync(join(grafanaDir, 'provisioning/dashboards/dashboards.yml'), 'utf8'));
/** Every panel query with Grafana variables replaced by check values. */
const queries = dashboards.flatMap(({ dashboard }) =>
  dashboardQueries(dashboard).map((query) => ({ ...query, expr: expandVariables(query.expr, checkVariables(dashboard, 'dev')) })),
);

test('the dashboards exist: overview, per service, Kafka and outbox, business KPIs', () => {
  assert.deepEqual(
    dashboards.map(({ dashboard }) => dashboard.uid).sort(),
    ['meridian-business', 'meridian-messaging', 'meridian-overview', 'meridian-service'],
  );
  const service = dashboards.find(({ dashboard }) => dashboard.uid === 'meridian-service')!.dashboard;
  assert.ok(service.templating?.list.some((variable) => variable.name === 'service'), 'per-service dashboard is templated on $service');
  for (const query of queries.filter((q) => q.dashboard === 'meridian-service')) {
    assert.match(query.expr, /service=~"\.\+"/, `${query.panel} is not filtered by $service`);
  }
});

test('the datasource is provisioned and every panel, target and variable uses it', () => {
  assert.equal(datasources.apiVersion, 1);
  const [prometheus] = datasources.datasources;
  assert.equal(prometheus.type, 'prometheus');
  const expected = { type: 'prometheus', uid: prometheus.uid };
  for (const { file, dashboard } of dashboards) {
    for (const panel of dataPanels(dashboard)) {
      assert.deepEqual(panel.datasource, expected, `${file}: panel "${panel.title}"`);
      assert.ok((panel.targets ?? []).length > 0, `${file}: panel "${panel.title}" has no target`);
      for (const target of panel.targets ?? []) {
        assert.deepEqual(target.datasource, expected, `${file}: panel "${panel.title}" target ${target.refId}`);
        assert.ok(target.expr?.trim(), `${file}: panel "${panel.title}" target ${target.refId} has no expr`);
      }
    }
    for (const variable of dashboard.templating?.list ?? []) {
      assert.deepEqual(variable.datasource, expected, `${file}: variable $${variable.name}`);
    }
  }
});

test('every dashboard has a unique uid, unique panel ids and titles', () => {
  assert.equal(new Set(dashboards.map(({ dashboard }) => dashboard.uid)).size, dashboards.length);
  for (const { file, dashboard } of dashboards) {
    assert.ok(dashboard.title, file);
    const panels = dataPanels(dashboard);
    assert.equal(new Set(panels.map((panel) => panel.id)).size, panels.length, `${file}: duplicate panel id`);
    assert.equal(new Set(panels.map((panel) => panel.title)).size, panels.length, `${file}: duplicate panel title`);
  }
});

test('the dashboards provider loads the dashboards folder', () => {
  assert.equal(providers.apiVersion, 1);
  const [provider] = providers.providers;
  assert.equal(provider.type, 'file');
  assert.equal(provider.options.path, '$MERIDIAN_DASHBOARDS_DIR');
});

test('every panel expression is valid PromQL (promtool check rules)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-dashboards-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'panels.yml');
  writeFileSync(file, expressionsAsRuleFile(queries.map((query) => query.expr)));
  let output: string;
  try {
    output = execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout: string; stderr: string };
    const failing = [...`${stdout}${stderr}`.matchAll(/check:expr_(\d+)/g)].map((m) => queries[Number(m[1])]);
    assert.fail(`promtool rejected:\n${stdout}${stderr}\n${JSON.stringify(failing, null, 2)}`);
  }
  assert.match(output, new RegExp(`SUCCESS: ${queries.length} rules found`));
});

test('every metric a panel uses is produced by chassis or service code, recorded, or built in', () => {
  const recorded = new Set(recordingRules(loadRuleGroups(ruleFiles())).map((rule) => rule.record));
  const used = [...new Set(queries.flatMap((query) => metricNamesIn(query.expr)))];
  assert.ok(used.includes('orders_placed_total') && used.includes('up'));
  const external = used.filter((name) => !recorded.has(name) && !isBuiltinMetric(name));
  const missing = metricsMissingFromSources(external, [join(root, 'packages'), join(root, 'services')]);
  assert.deepEqual(missing, [], `no packages/*/src or services/*/src declares: ${missing.join(', ')}`);
});
