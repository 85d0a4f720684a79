import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricNamesIn, isBuiltinMetric, expandVariables, checkVariables, type Dashboard } from '@meridian/observability';

test('metricNamesIn finds selected metrics and skips functions, labels, keywords and literals', () => {
  const expr = `histogram_quantile(0.99, sum by (service, le) (rate(http_request_duration_seconds_bucket{status_code=~"5..", route!="a_b"}[$__rate_interval])))
    / ignoring(le) group_left(version) service:http_requests:rate1m offset 5m > bool 1e3
    or sum without (instance) (up{job="x"}) unless on (service) outbox_backlog and nan`;
  assert.deepEqual(metricNamesIn(expr), [
    'http_request_duration_seconds_bucket',
    'outbox_backlog',
    'service:http_requests:rate1m',
    'up',
  ]);
});

test('metricNamesIn does not split a function name into a metric', () => {
  assert.deepEqual(metricNamesIn('rate(x_total[1m]) + sum(increase(y_total[5m]))'), ['x_total', 'y_total']);
});

test('isBuiltinMetric knows Prometheus and prom-client default metrics', () => {
  for (const name of ['up', 'process_cpu_seconds_total', 'nodejs_eventloop_lag_p99_seconds', 'ALERTS']) {
    assert.equal(isBuiltinMetric(name), true, name);
  }
  assert.equal(isBuiltinMetric('orders_placed_total'), false);
});

test('expandVariables substitutes every syntax and rejects variables the dashboard does not define', () => {
  const dashboard: Dashboard = {
    uid: 'd',
    title: 'd',
    panels: [],
    templating: { list: [{ name: 'namespace' }, { name: 'service' }] },
  };
  const values = checkVariables(dashboard, 'dev');
  assert.equal(
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's ${var} variable syntax, not a JavaScript template
    expandVariables('rate(x{namespace="$namespace",service=~"${service}"}[[[__rate_interval]]])', values),
    'rate(x{namespace="dev",service=~".+"}[1m])',
  );
  assert.throws(() => expandVariables('x{a="$nope"}', values), /unknown variable \$nope/);
  assert.throws(() => expandVariables('x{a="$service"}', checkVariables({ ...dashboard, templating: { list: [] } }, 'dev')));
  assert.throws(() => checkVariables({ ...dashboard, templating: { list: [{ name: 'pod' }] } }, 'dev'), /no stand-in value for variable \$pod/);
});
