/**
 * Against the running platform (GATEWAY_URL): one order's trace id finds, through the logging
 * service's search, log lines of every service the saga went through.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  api,
  createStockedProduct,
  expectStatus,
  finalOrder,
  placeOrder,
  registerCustomer,
  staffLogin,
  waitFor,
} from '../../../test/system/support.ts';

interface LogItem {
  service: string;
  level: string;
  msg: string;
  traceId: string;
}

test("an order's trace id returns log lines from the gateway, orders, inventory, payments and notifications", async () => {
  const staff = await staffLogin();
  const customer = await registerCustomer();
  const product = await createStockedProduct(staff, 5);

  const placed = await placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
  assert.equal(placed.status, 202);
  const traceId = placed.headers.get('x-trace-id');
  assert.match(traceId ?? '', /^[0-9a-f]{32}$/, 'the response names its trace id');
  assert.equal((await finalOrder(customer.token, placed.body.id)).status, 'CONFIRMED');

  const expected = ['gateway', 'inventory', 'notifications', 'orders', 'payments'];
  const services = await waitFor(async () => {
    const page = expectStatus(
      await api<{ items: LogItem[] }>('GET', `/api/v1/ops/logs?traceId=${traceId}&order=asc&limit=500`, { token: staff }),
      200,
      'search logs by trace id',
    );
    assert.ok(page.items.every((item) => item.traceId === traceId));
    const found = [...new Set(page.items.map((item) => item.service))].sort();
    return expected.every((service) => found.includes(service)) ? found : undefined;
  }, { timeoutMs: 45_000, intervalMs: 500, message: `log lines of ${expected.join(', ')} under trace ${traceId}` });
  assert.ok(services.length >= 5, `services: ${services.join(', ')}`);

  // Customers cannot read the platform's logs.
  assert.equal((await api('GET', `/api/v1/ops/logs?traceId=${traceId}`, { token: customer.token })).status, 403);
});
