// Every dashboard query against the live platform's Prometheus (system stage: PROMETHEUS_URL set).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { checkVariables, dashboardQueries, expandVariables, loadDashboards } from '@meridian/observability';
import { waitFor } from '@meridian/testkit';
import { createStockedProduct, finalOrder, placeOrder, registerCustomer, staffLogin } from '../../../test/system/support.ts';

const prometheusUrl = process.env.PROMETHEUS_URL;
const namespace = process.env.MERIDIAN_NAMESPACE || 'dev';
const dashboards = loadDashboards(join(resolve(import.meta.dirname, '..'), 'dashboards'));

/** Panels that show data as soon as one order went through the saga, by dashboard uid. */
const mustHaveData: Record<string, string[]> = {
  'meridian-overview': ['Instances up', 'Requests / s', 'Instances up by service', 'Request rate by service', 'Messages handled by service', 'Resident memory'],
  'meridian-service': ['Instances', 'Requests / s by route and status', 'Messages handled / s by type and result'],
  'meridian-messaging': ['Messages handled / s by service and result', 'Outbox published / s'],
  'meridian-business': ['Orders placed in range', 'Orders / min'],
};

/** Places one order through the gateway (on a product of its own) and waits until the saga settles it. */
async function placeOneOrder(): Promise<void> {
  const staff = await staffLogin();
  const customer = await registerCustomer();
  const product = await createStockedProduct(staff, 5);
  const placed = await placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
  assert.equal(placed.status, 202, `place an order: ${JSON.stringify(placed.body)}`);
  const order = await finalOrder(customer.token, placed.body.id);
  assert.equal(order.status, 'CONFIRMED');
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
