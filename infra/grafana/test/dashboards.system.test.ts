// Every dashboard query against the live platform's Prometheus (system stage: PROMETHEUS_URL set).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { checkVariables, dashboardQueries, expandVariables, loadDashboards } from '@meridian/observability';
import { gatewayUrl, uniqueName, waitFor } from '@meridian/testkit';

const prometheusUrl = process.env.PROMETHEUS_URL;
const namespace = process.env.MERIDIAN_NAMESPACE || 'dev';
const gateway = gatewayUrl();
const dashboards = loadDashboards(join(resolve(import.meta.dirname, '..'), 'dashboards'));

/** Panels that show data as soon as one order went through the saga, by dashboard uid. */
const mustHaveData: Record<string, string[]> = {
  'meridian-overview': ['Instances up', 'Requests / s', 'Instances up by service', 'Request rate by service', 'Messages handled by service', 'Resident memory'],
  'meridian-service': ['Instances', 'Requests / s by route and status', 'Messages handled / s by type and result'],
  'meridian-messaging': ['Messages handled / s by service and result', 'Outbox published / s'],
  'meridian-business': ['Orders placed in range', 'Orders / min'],
};

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> {
  const response = await fetch(new URL(path, gateway), {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await response.json();
  assert.ok(response.ok, `${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
  return json;
}

/** Places one order through the gateway and waits until the saga settles it. */
async function placeOneOrder(): Promise<void> {
  const email = `${uniqueName('observability')}@example.com`;
  const password = 'observability-check-1';
  await call('POST', '/api/v1/auth/register', { email, password, name: 'Observability check' });
  const { accessToken } = await call('POST', '/api/v1/auth/login', { email, password });
  const auth = { authorization: `Bearer ${accessToken}` };
  const { items } = await call('GET', '/api/v1/products?limit=1');
  assert.ok(items.length > 0, 'the catalog has a product to order (the platform stage seeds it)');
  const order = await call(
    'POST',
    '/api/v1/orders',
    { items: [{ productId: items[0].id, quantity: 1 }], paymentToken: 'tok_visa' },
    { ...auth, 'idempotency-key': randomUUID() },
  );
  await waitFor(async () => (await call('GET', `/api/v1/orders/${order.id}`, undefined, auth)).status !== 'PENDING', {
    timeoutMs: 30_000,
    message: 'the order to be confirmed or cancelled',
  });
}

async function evaluate(expr: string): Promise<unknown[]> {
  const response = await fetch(new URL('/api/v1/query', prometheusUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: expr }),
  });
  const json = (await response.json()) as { status: string; error?: string; data?: { result: unknown[] } };
  assert.equal(json.status, 'success', `${expr}: ${json.error}`);
  return json.data!.result;
}

test('every dashboard query evaluates on the live Prometheus, with data once an order flowed', {
  skip: !prometheusUrl && 'PROMETHEUS_URL is not set (runs in the platform stage)',
  timeout: 120_000,
}, async () => {
  await placeOneOrder();
  for (const { dashboard } of dashboards) {
    const values = checkVariables(dashboard, namespace);
    const queries = dashboardQueries(dashboard).map((query) => ({ ...query, expr: expandVariables(query.expr, values) }));
    for (const query of queries) await evaluate(query.expr);
    for (const title of mustHaveData[dashboard.uid] ?? []) {
      const panelQueries = queries.filter((query) => query.panel === title);
      assert.ok(panelQueries.length > 0, `${dashboard.uid} has no panel "${title}"`);
      // Scrapes every 5 s and 1 m rate windows: data appears within a few scrapes.
      await waitFor(async () => {
        for (const query of panelQueries) if ((await evaluate(query.expr)).length > 0) return true;
        return false;
      }, { timeoutMs: 45_000, intervalMs: 1000, message: `data in ${dashboard.uid} / "${title}"` });
    }
  }
});
