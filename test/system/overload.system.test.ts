// Overload: far more orders at once than the saga finishes. What must hold is behaviour, not timing:
// excess orders are refused early (503 problem+json with Retry-After) and store nothing, every order
// answered 202 reaches a final state, no instance leaves discovery's ready set because it is busy,
// and an expected refusal is one log line without a stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createResolver } from '@meridian/discovery';
import { api, createStockedProduct, finalOrder, registerCustomer, staffLogin } from './support.ts';

const burst = 800;
const concurrency = 100;

test('a burst far above capacity: excess refused with 503 + Retry-After, nothing of it stored, every accepted order final, every instance stays ready', async () => {
  const staff = await staffLogin();
  const customer = await registerCustomer();
  const products = await Promise.all([1, 2, 3, 4].map(() => createStockedProduct(staff, 1_000_000)));
  // Orders must know the products first (its catalog projection, filled from Kafka a moment after the
  // product is created), or the burst would get 422s: one order of each, retried until accepted.
  for (const product of products) {
    const known = await waitForKnown(customer.token, product.id);
    await finalOrder(customer.token, known, 60_000);
  }

  const resolver = createResolver({ endpoints: (process.env.ETCD_ENDPOINTS ?? 'http://127.0.0.1:2379').split(','), ns: process.env.MERIDIAN_NAMESPACE ?? 'test' });
  await resolver.start();
  const leftReady = new Set<string>();
  const watch = setInterval(() => {
    for (const instance of resolver.instances()) {
      if (instance.health !== 'ready') leftReady.add(`${instance.service} (${instance.health})`);
    }
  }, 50);

  const accepted: string[] = [];
  const refusals: { status: number; retryAfter: string | null; contentType: string | null; type?: string }[] = [];
  const other: { status: number; body: unknown }[] = [];
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < burst) {
          next += 1;
          const product = products[next % products.length];
          const reply = await api('POST', '/api/v1/orders', {
            token: customer.token,
            body: { items: [{ productId: product.id, quantity: 1 }], paymentToken: 'tok_visa' },
            headers: { 'idempotency-key': crypto.randomUUID() },
          });
          if (reply.status === 202) accepted.push(reply.body.id);
          else if (reply.status === 503) {
            refusals.push({ status: reply.status, retryAfter: reply.headers.get('retry-after'), contentType: reply.headers.get('content-type'), type: reply.body?.type });
          } else other.push({ status: reply.status, body: reply.body });
        }
      }),
    );

    assert.deepEqual(other, [], 'every answer is 202 or a 503 refusal');
    assert.ok(refusals.length > 0, `a burst of ${burst} orders at ${concurrency} at a time is refused in part (accepted ${accepted.length})`);
    assert.ok(accepted.length > 0, 'orders are still accepted during the burst');
    for (const refusal of refusals) {
      assert.ok(Number(refusal.retryAfter) >= 1, `a refusal carries Retry-After: ${JSON.stringify(refusal)}`);
      assert.match(refusal.contentType ?? '', /application\/problem\+json/);
      assert.match(refusal.type ?? '', /\/overloaded$/);
    }

    // Every order answered 202 finishes; the refused ones were never stored.
    for (const id of accepted) {
      const order = await finalOrder(customer.token, id, 180_000);
      assert.ok(['CONFIRMED', 'CANCELLED'].includes(order.status));
    }
    assert.equal(await countOrders(customer.token), accepted.length + products.length, 'the customer has exactly the accepted orders');
    assert.deepEqual([...leftReady], [], 'no instance left the ready set during the burst');
  } finally {
    clearInterval(watch);
    await resolver.stop();
  }

  // Expected refusals are told without a stack trace, a flood of them in a line per interval, not a line each.
  const logDir = process.env.PLATFORM_LOG_DIR;
  if (logDir) {
    const log = readFileSync(join(logDir, 'orders.log'), 'utf8').split('\n');
    const lines = log.filter((line) => line.includes('"msg":"request refused: overloaded"') || line.includes('requests refused as overloaded'));
    assert.ok(lines.length > 0, 'the orders service logged its refusals');
    assert.ok(lines.every((line) => !line.includes('"stack"')), 'refusals are logged without a stack trace');
    assert.deepEqual(log.filter((line) => line.includes('"msg":"request completed"') && line.includes('"statusCode":503')), [], 'no access line per refusal');
  }
});

/** Places one order for `productId` until orders knows it (its projection may lag); returns the order id. */
async function waitForKnown(token: string, productId: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const reply = await api('POST', '/api/v1/orders', {
      token,
      body: { items: [{ productId, quantity: 1 }], paymentToken: 'tok_visa' },
      headers: { 'idempotency-key': crypto.randomUUID() },
    });
    if (reply.status === 202) return reply.body.id;
    if (Date.now() > deadline) throw new Error(`orders never accepted product ${productId}: ${reply.status} ${JSON.stringify(reply.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function countOrders(token: string): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const reply = await api('GET', `/api/v1/orders?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    count += reply.body.items.length;
    cursor = reply.body.nextCursor ?? undefined;
  } while (cursor);
  return count;
}
