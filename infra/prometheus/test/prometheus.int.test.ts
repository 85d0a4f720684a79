import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Registry } from 'prom-client';
import { register } from '@meridian/discovery';
import { checkVariables, dashboardQueries, expandVariables, loadDashboards } from '@meridian/observability';
import { infra, uniqueName, waitFor } from '@meridian/testkit';
import { ensurePrometheus } from '../prometheus.ts';

const { etcdEndpoints } = infra();

/** A real HTTP server exposing prom-client metrics, as every service does. */
async function startMetricsServer(): Promise<Server> {
  const registry = new Registry();
  new Counter({ name: 'demo_requests_total', help: 'demo', registers: [registry] }).inc();
  const server = createServer(async (request, response) => {
    if (request.url !== '/metrics') return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const portOf = (server: Server): number => (server.address() as AddressInfo).port;

async function stopServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

test('Prometheus scrapes instances found through discovery and alerts when one goes down', { timeout: 120_000 }, async (t) => {
  const ns = uniqueName('prom');
  const dataDir = mkdtempSync(join(tmpdir(), 'meridian-prometheus-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));

  const servers = { orders: await startMetricsServer(), catalog: await startMetricsServer() };
  t.after(() => Promise.all(Object.values(servers).map((server) => server.listening && stopServer(server))));
  for (const [service, server] of Object.entries(servers)) {
    const registration = await register({
      endpoints: etcdEndpoints,
      ns,
      instance: {
        service,
        version: '1.0.0',
        instanceId: `${service}-1`,
        url: `http://127.0.0.1:${portOf(server)}`,
        apiVersions: ['v1'],
        health: 'ready',
        startedAt: new Date().toISOString(),
      },
    });
    t.after(() => registration.deregister());
  }

  const prometheus = await ensurePrometheus({ etcdEndpoints, ns, dataDir, port: 0, scrapeInterval: '1s', env: {} });
  t.after(() => prometheus.stop());
  assert.equal(prometheus.started, true);
  const port = Number(new URL(prometheus.url).port);
  const reused = await ensurePrometheus({ etcdEndpoints, ns, dataDir, port, env: { PROMETHEUS_URL: prometheus.url } });
  assert.deepEqual({ url: reused.url, started: reused.started }, { url: prometheus.url, started: false });
  await assert.rejects(ensurePrometheus({ etcdEndpoints, ns, dataDir, port, env: {} }), /already answers/);

  const query = async (expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as { status: string; data: { result: [] } };
    assert.equal(body.status, 'success');
    return body.data.result;
  };
  const up = async (): Promise<Record<string, string>> =>
    Object.fromEntries((await query(`up{job="meridian", namespace="${ns}"}`)).map((s) => [s.metric.service, s.value[1]]));

  await waitFor(async () => {
    const seen = await up();
    return seen.orders === '1' && seen.catalog === '1';
  }, { timeoutMs: 20_000, message: 'both instances discovered and up' });
  const [orders] = await query(`demo_requests_total{namespace="${ns}", service="orders"}`);
  assert.deepEqual(
    { ...orders.metric, instance: undefined },
    { __name__: 'demo_requests_total', job: 'meridian', namespace: ns, service: 'orders', instance_id: 'orders-1', version: '1.0.0', instance: undefined },
  );
  assert.equal(orders.metric.instance, `127.0.0.1:${portOf(servers.orders)}`);

  // Every dashboard query runs on this Prometheus (with its recording rules) without error.
  for (const { dashboard } of loadDashboards(join(import.meta.dirname, '../../grafana/dashboards'))) {
    for (const { panel, expr } of dashboardQueries(dashboard)) {
      const result = await query(expandVariables(expr, checkVariables(dashboard, ns)));
      if (panel === 'Instances up by service') assert.equal(result.length, 2);
    }
  }

  await stopServer(servers.orders); // still registered, no longer answering
  await waitFor(async () => (await up()).orders === '0', { timeoutMs: 10_000, message: 'orders up == 0' });
  assert.equal((await up()).catalog, '1');

  const serviceDown = async (): Promise<{ state: string; labels: Record<string, string> }[]> => {
    const body = (await (await fetch(`${prometheus.url}/api/v1/alerts`)).json()) as {
      data: { alerts: { state: string; labels: Record<string, string> }[] };
    };
    return body.data.alerts.filter((alert) => alert.labels.alertname === 'ServiceDown' && alert.labels.namespace === ns);
  };
  await waitFor(async () => (await serviceDown()).length > 0, { timeoutMs: 10_000, message: 'ServiceDown pending' });
  assert.deepEqual((await serviceDown()).map((alert) => alert.labels.service), ['orders']);
  // The rule's `for: 30s` runs out: the alert fires.
  await waitFor(async () => (await serviceDown()).some((alert) => alert.state === 'firing'), {
    timeoutMs: 45_000,
    intervalMs: 1000,
    message: 'ServiceDown firing',
  });
});
