// Alerts routed end to end on real servers: an instance found through etcd stops answering, a real
// Prometheus fires ServiceDown to a real Alertmanager (Debian's), which shows it in its API and sends
// it to the ops console's webhook (its real routes, in-process); a silence made there reaches
// Alertmanager; the instance answers again and the resolved notification follows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { register } from '@meridian/discovery';
import { createHttpServer } from '@meridian/http';
import { createLogger } from '@meridian/log';
import { infra, uniqueName, waitFor } from '@meridian/testkit';
import { registerAlertRoutes } from '../../../apps/ops-console/server/alerts.ts';
import { freePort } from '../../../scripts/lib/proc.ts';
import { ensurePrometheus } from '../../prometheus/prometheus.ts';
import { ensureAlertmanager } from '../alertmanager.ts';

const { etcdEndpoints } = infra();

function metricsServer(port = 0): Promise<Server> {
  const registry = new Registry();
  const server = createServer(async (request, response) => {
    if (request.url !== '/metrics') return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

async function stopServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

interface OpsAlerts {
  alerts: { labels: Record<string, string>; status: { silencedBy: string[] } }[];
  silences: { id: string }[];
  history: { status: string; labels: Record<string, string> }[];
}

test('a service that stops answering: ServiceDown fires in Alertmanager and reaches the ops console; silenced there; resolved once it is back', { timeout: 180_000 }, async (t) => {
  const ns = uniqueName('alerts');
  const dir = mkdtempSync(join(tmpdir(), 'meridian-alerting-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  // The ops console's alert routes, as the platform wires them (staff check left out: no identity here).
  const token = randomBytes(24).toString('base64url');
  const alertmanagerUrl = `http://127.0.0.1:${await freePort()}`;
  const ops = await createHttpServer({ name: 'ops-console-alerts', version: 'test', logger: createLogger({ service: 'alerting-test', version: 'test', instance: 'test', level: 'silent' }) });
  registerAlertRoutes(ops, { alertmanagerUrl, webhookToken: token, preHandler: async () => {} });
  const opsUrl = await ops.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => ops.close());
  const opsAlerts = async (): Promise<OpsAlerts> => (await ops.inject({ method: 'GET', url: '/ops-api/alerts' })).json();

  const alertmanager = await ensureAlertmanager({
    url: alertmanagerUrl, dataDir: join(dir, 'alertmanager'), webhook: { url: `${opsUrl}/ops-api/alerts/notifications`, token }, groupInterval: '5s', env: {},
  });
  t.after(() => alertmanager.stop());
  assert.equal(alertmanager.started, true);

  let server = await metricsServer();
  const port = (server.address() as AddressInfo).port;
  t.after(() => server.listening && stopServer(server));
  const registration = await register({
    endpoints: etcdEndpoints,
    ns,
    instance: { service: 'orders', version: '1.0.0', instanceId: 'orders-1', url: `http://127.0.0.1:${port}`, apiVersions: ['v1'], health: 'ready', startedAt: new Date().toISOString() },
  });
  t.after(() => registration.deregister());
  const prometheus = await ensurePrometheus({
    etcdEndpoints, ns, dataDir: join(dir, 'prometheus'), port: 0, scrapeInterval: '1s', env: {}, alertmanagerUrls: [alertmanager.url],
  });
  t.after(() => prometheus.stop());
  await waitFor(async () => {
    const body = (await (await fetch(`${prometheus.url}/api/v1/alertmanagers`)).json()) as { data: { activeAlertmanagers: unknown[] } };
    return body.data.activeAlertmanagers.length === 1;
  }, { timeoutMs: 20_000, message: 'Prometheus to know its Alertmanager' });
  await waitFor(async () => {
    const body = (await (await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(`up{namespace="${ns}"}`)}`)).json()) as { data: { result: unknown[] } };
    return body.data.result.length === 1;
  }, { timeoutMs: 20_000, message: 'the instance scraped' });

  await stopServer(server);
  const stoppedAt = Date.now();
  const inAlertmanager = await waitFor(async () => {
    const alerts = (await (await fetch(`${alertmanager.url}/api/v2/alerts?filter=namespace%3D%22${ns}%22`)).json()) as { labels: Record<string, string> }[];
    return alerts.find((alert) => alert.labels.alertname === 'ServiceDown');
  }, { timeoutMs: 60_000, intervalMs: 1000, message: 'ServiceDown in Alertmanager' });
  assert.equal(inAlertmanager.labels.service, 'orders');
  assert.equal(inAlertmanager.labels.severity, 'critical');
  // Rule window (for: 30s) plus a scrape and an evaluation.
  assert.ok(Date.now() - stoppedAt < 50_000, `fired ${Date.now() - stoppedAt} ms after the instance stopped`);
  const notified = await waitFor(async () => (await opsAlerts()).history.find((entry) => entry.labels.namespace === ns && entry.status === 'firing'),
    { timeoutMs: 20_000, intervalMs: 500, message: 'the firing notification at the ops console' });
  assert.equal(notified.labels.alertname, 'ServiceDown');
  assert.ok((await opsAlerts()).alerts.some((alert) => alert.labels.namespace === ns && alert.labels.alertname === 'ServiceDown'));

  // Silencing from the ops console creates a silence in Alertmanager that covers the alert.
  const silenced = await ops.inject({
    method: 'POST', url: '/ops-api/alerts/silences', payload: { matchers: { alertname: 'ServiceDown', namespace: ns }, minutes: 15, comment: 'test' },
  });
  assert.equal(silenced.statusCode, 201, silenced.body);
  const { silenceID } = silenced.json() as { silenceID: string };
  await waitFor(async () => (await opsAlerts()).alerts.some((alert) => alert.labels.namespace === ns && alert.status.silencedBy.includes(silenceID)),
    { timeoutMs: 10_000, intervalMs: 500, message: 'the alert silenced' });
  assert.equal((await ops.inject({ method: 'DELETE', url: `/ops-api/alerts/silences/${silenceID}` })).statusCode, 204);
  assert.ok(!(await opsAlerts()).silences.some((silence) => silence.id === silenceID), 'an expired silence is no longer listed');

  // A webhook call without the token is refused and leaves no trace.
  const forged = await fetch(`${opsUrl}/ops-api/alerts/notifications`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ alerts: [] }),
  });
  assert.equal(forged.status, 401);

  server = await metricsServer(port); // the instance answers again
  await waitFor(async () => (await opsAlerts()).history.find((entry) => entry.labels.namespace === ns && entry.status === 'resolved'),
    { timeoutMs: 60_000, intervalMs: 1000, message: 'the resolved notification at the ops console' });
});
