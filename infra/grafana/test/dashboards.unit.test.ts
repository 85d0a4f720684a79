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

// The constraints of Grafana's dashboard kind (grafana/grafana kinds/dashboard, schema 0.0) that decide
// whether a provisioned file loads and lays out: a real Grafana is not installable on this machine kind.
test("every dashboard fits Grafana's dashboard JSON model: ids, schema version, time, grid layout, targets, variables", () => {
  const variableTypes = ['query', 'adhoc', 'constant', 'datasource', 'interval', 'textbox', 'custom', 'system'];
  for (const { file, dashboard: d } of dashboards) {
    const dashboard = d as unknown as Record<string, any>;
    assert.match(dashboard.uid, /^[a-zA-Z0-9_-]{8,40}$/, `${file}: uid of 8-40 letters, digits, - or _`);
    assert.ok(Number.isInteger(dashboard.schemaVersion) && dashboard.schemaVersion >= 36 && dashboard.schemaVersion <= 41, `${file}: schemaVersion ${dashboard.schemaVersion}`);
    assert.equal(typeof dashboard.editable, 'boolean', `${file}: editable`);
    assert.ok([0, 1, 2].includes(dashboard.graphTooltip), `${file}: graphTooltip`);
    assert.ok(typeof dashboard.time?.from === 'string' && typeof dashboard.time?.to === 'string', `${file}: time range`);
    if (dashboard.refresh !== undefined) assert.match(dashboard.refresh, /^(\d+[smhd])?$/, `${file}: refresh`);
    assert.ok(Array.isArray(dashboard.tags) && dashboard.tags.every((tag: unknown) => typeof tag === 'string'), `${file}: tags`);
    for (const variable of dashboard.templating?.list ?? []) {
      assert.match(variable.name, /^\w+$/, `${file}: variable name`);
      assert.ok(variableTypes.includes(variable.type), `${file}: variable $${variable.name} type ${variable.type}`);
    }
    // Grid: 24 columns, whole units, no two panels on the same cell.
    const cells = new Map<string, string>();
    for (const panel of dashboard.panels as Record<string, any>[]) {
      assert.ok(Number.isInteger(panel.id) && panel.id > 0, `${file}: "${panel.title}" id`);
      assert.equal(typeof panel.type, 'string');
      const { x, y, w, h } = panel.gridPos ?? {};
      assert.ok([x, y, w, h].every(Number.isInteger) && w >= 1 && h >= 1 && x >= 0 && y >= 0 && x + w <= 24, `${file}: "${panel.title}" gridPos ${JSON.stringify(panel.gridPos)}`);
      for (let cx = x; cx < x + w; cx++) {
        for (let cy = y; cy < y + h; cy++) {
          const other = cells.get(`${cx},${cy}`);
          assert.equal(other, undefined, `${file}: "${panel.title}" overlaps "${other}"`);
          cells.set(`${cx},${cy}`, panel.title);
        }
      }
      const refIds = (panel.targets ?? []).map((target: { refId?: string }) => target.refId);
      assert.ok(refIds.every((id: unknown) => typeof id === 'string' && id), `${file}: "${panel.title}" targets need a refId`);
      assert.equal(new Set(refIds).size, refIds.length, `${file}: "${panel.title}" duplicate refId`);
      assert.ok(Array.isArray(panel.fieldConfig?.overrides), `${file}: "${panel.title}" fieldConfig.overrides`);
    }
  }
});
