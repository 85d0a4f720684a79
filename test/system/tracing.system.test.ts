// Tracing on the running platform: one order is one trace in Zipkin (the server `npm start` runs), from
// the gateway request through the orders transaction, each Kafka send and each consumer, the payment
// provider call and the notification; a trace a client started continues instead of starting anew.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { api, createStockedProduct, expectStatus, finalOrder, placeOrder, registerCustomer, staffLogin, waitFor } from './support.ts';

const zipkinUrl = process.env.ZIPKIN_URL;
const skip = !zipkinUrl && 'ZIPKIN_URL is not set (the test platform runs Zipkin)';

interface ZipkinSpan {
  id: string;
  parentId?: string;
  kind?: 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
  name: string;
  localEndpoint: { serviceName: string };
}

async function zipkinTrace(traceId: string): Promise<ZipkinSpan[]> {
  const response = await fetch(`${zipkinUrl}/api/v2/trace/${traceId}`, { signal: AbortSignal.timeout(5000) });
  return response.ok ? ((await response.json()) as ZipkinSpan[]) : [];
}

const has = (spans: ZipkinSpan[], service: string, name: RegExp, kind?: ZipkinSpan['kind']) =>
  spans.some((span) => span.localEndpoint.serviceName === service && name.test(span.name) && (!kind || span.kind === kind));

test('one order is one trace in Zipkin: gateway, orders, each Kafka hop, inventory, payments and its provider call, notifications', { skip }, async () => {
  const staff = await staffLogin();
  const customer = await registerCustomer();
  const product = await createStockedProduct(staff, 100);
  const placed = await placeOrder(customer.token, [{ productId: product.id, quantity: 1 }], 'tok_visa');
  expectStatus(placed, 202, 'place order');
  const order = await finalOrder(customer.token, placed.body.id);
  assert.equal(order.status, 'CONFIRMED');
  const seen = expectStatus(await api<{ traceId?: string }>('GET', `/api/v1/admin/orders/${order.id}`, { token: staff }), 200, 'staff read order');
  assert.match(seen.traceId ?? '', /^[0-9a-f]{32}$/, 'staff see the trace id of the order');

  const spans = await waitFor(async () => {
    const found = await zipkinTrace(seen.traceId!);
    return has(found, 'notifications', /^notify order-confirmed$/) && has(found, 'inventory', /^process orderconfirmed$/) ? found : undefined;
  }, { timeoutMs: 30_000, intervalMs: 500, message: `the whole saga of order ${order.id} in Zipkin` });

  const services = new Set(spans.map((span) => span.localEndpoint.serviceName));
  for (const service of ['gateway', 'orders', 'inventory', 'payments', 'notifications']) assert.ok(services.has(service), `${service} spans in the trace`);
  assert.ok(has(spans, 'gateway', /^post/, 'SERVER'), 'the gateway request');
  assert.ok(has(spans, 'orders', /^place order transaction$/), 'the orders transaction');
  assert.ok(has(spans, 'payments', /^payment provider authorize$/, 'CLIENT'), 'the payment provider call');
  // Every consumer span hangs below the producer span of the relay that sent its event: the Kafka hops are linked.
  const byId = new Map(spans.map((span) => [span.id, span]));
  const consumers = spans.filter((span) => span.kind === 'CONSUMER');
  assert.ok(consumers.length >= 6, `consumer spans: ${consumers.map((s) => `${s.localEndpoint.serviceName} ${s.name}`).join(', ')}`);
  for (const consumer of consumers) {
    const parent = consumer.parentId ? byId.get(consumer.parentId) : undefined;
    assert.equal(parent?.kind, 'PRODUCER', `${consumer.localEndpoint.serviceName} ${consumer.name} is a child of a send span`);
    assert.match(parent!.name, /^send \S+\.(orders|inventory|payments)\./);
  }
});

test('a trace the client started is continued through the gateway to the service, not replaced', { skip }, async () => {
  const traceId = randomBytes(16).toString('hex');
  const traced = await api('GET', '/api/v1/products?limit=1', { headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } });
  expectStatus(traced, 200, 'catalog read');
  const clientTrace = await waitFor(async () => {
    const found = await zipkinTrace(traceId);
    return found.length >= 2 ? found : undefined;
  }, { timeoutMs: 30_000, intervalMs: 500, message: 'the client-started trace in Zipkin' });
  assert.ok(has(clientTrace, 'gateway', /./, 'SERVER') && has(clientTrace, 'catalog', /./, 'SERVER'));
});
