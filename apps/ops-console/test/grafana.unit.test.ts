import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  alignSeries, builtIns, drawnPanelTypes, expand, formatValue, labelValuesQuery, legendOf, reduce, stepFor, thresholdColor, type Dashboard,
} from '../web/src/dashboards/grafana.ts';

const dashboardsDir = join(import.meta.dirname, '../../../infra/grafana/dashboards');
const dashboards = readdirSync(dashboardsDir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(dashboardsDir, f), 'utf8')) as Dashboard);

test('every panel of every provisioned dashboard is of a type the ops console draws, and every variable is a label_values query', () => {
  assert.ok(dashboards.length >= 4);
  for (const dashboard of dashboards) {
    for (const panel of dashboard.panels) assert.ok((drawnPanelTypes as readonly string[]).includes(panel.type), `${dashboard.title}: ${panel.title} (${panel.type})`);
    for (const variable of dashboard.templating?.list ?? []) assert.ok(labelValuesQuery(variable), `${dashboard.title}: $${variable.name}`);
  }
});

test('variables and built-ins expand in every syntax; label_values is read apart', () => {
  const values = { namespace: 'dev', service: 'orders', ...builtIns(3600) };
  const braced = ['$', '{service}'].join(''); // Grafana's ${service}, not a template literal
  assert.equal(expand(`rate(x{namespace="$namespace", service=~"${braced}"}[$__rate_interval]) [[namespace]]`, values),
    'rate(x{namespace="dev", service=~"orders"}[60s]) dev');
  assert.equal(expand('$unknown stays', values), '$unknown stays');
  assert.deepEqual(labelValuesQuery({ name: 'service', query: { query: 'label_values(up{job="meridian", namespace="$namespace"}, service)' } }),
    { selector: 'up{job="meridian", namespace="$namespace"}', label: 'service' });
  assert.equal(stepFor(300), 5);
  assert.equal(stepFor(24 * 3600), 360);
  assert.equal(builtIns(86_400).__rate_interval, '1440s');
});

test('units read as a person would write them', () => {
  assert.equal(formatValue(22, 'short'), '22');
  assert.equal(formatValue(1234, 'short'), '1.23k');
  assert.equal(formatValue(0.0042, 's'), '4.2 ms');
  assert.equal(formatValue(95, 's'), '1.58 min');
  assert.equal(formatValue(200 * 1024 * 1024, 'bytes'), '200 MiB');
  assert.equal(formatValue(0.125, 'percentunit'), '12.5%');
  assert.equal(formatValue(1.714, 'reqps'), '1.71 req/s');
  assert.equal(formatValue(null, 's'), '—');
});

test('legends follow legendFormat, thresholds colour by the highest step reached, reducers pick the stat', () => {
  assert.equal(legendOf({ service: 'orders', route: '/x' }, '{{service}} {{ route }}'), 'orders /x');
  assert.equal(legendOf({ __name__: 'up', service: 'orders' }), 'up{service="orders"}');
  const steps = [{ color: 'green', value: null }, { color: 'red', value: 80 }];
  assert.equal(thresholdColor(10, steps), '#15803d');
  assert.equal(thresholdColor(80, steps), '#b91c1c');
  assert.equal(thresholdColor(10, undefined), undefined);
  assert.equal(reduce([1, 5, null]), 5);
  assert.equal(reduce([1, 5, 3], 'max'), 5);
  assert.equal(reduce([2, 4], 'mean'), 3);
  assert.equal(reduce([null, null]), null);
});

test('range results of several targets share one time axis, gaps (and NaN) stay gaps, a series without a value is left out', () => {
  const { times, series } = alignSeries([
    { legendFormat: '{{service}}', matrix: [{ metric: { service: 'a' }, values: [[100, '1'], [110, '2']] }] },
    { matrix: [{ metric: { service: 'b' }, values: [[105, '7']] }, { metric: { service: 'c' }, values: [[100, 'NaN']] }] },
  ], 100, 110, 5);
  assert.deepEqual(times, [100, 105, 110]);
  assert.deepEqual(series, [{ label: 'a', values: [1, null, 2] }, { label: '{service="b"}', values: [null, 7, null] }]);
});
