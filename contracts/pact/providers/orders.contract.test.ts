// orders verifies the web apps' HTTP pacts and the event pacts of inventory, payments,
// notifications and the storefront, answered with events orders' own code wrote to its outbox.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { PaymentAuthorized, StockRejected } from '@meridian/contracts';
import * as repo from '../../../services/orders/src/db/repository.ts';
import { ordersService } from '../../../services/orders/src/service.ts';
import { examples } from '../support/pact.ts';
import { startProvider, type RunningProvider } from '../support/provider.ts';
import { assertVerified, outboxEvents, verifyPacts } from '../support/verify.ts';

let orders: RunningProvider;

before(async () => {
  orders = await startProvider(ordersService(), { ORDER_TIMEOUT_SECONDS: '3600' });
});
after(() => orders?.stop());

/** Puts a product in orders' catalog read model, as its catalog.products consumer would. */
async function productOnSale(productId: string): Promise<void> {
  await orders.running.ctx.sql.begin((tx) =>
    repo.upsertCatalogProduct(tx, {
      productId,
      sku: `PACT-${productId.slice(0, 8)}`,
      name: 'Pour-Over Kettle',
      description: 'Gooseneck, 1 l',
      category: 'Kitchen',
      priceCents: 4999,
      currency: 'EUR',
      active: true,
      updatedAt: new Date().toISOString(),
    }),
  );
}

/** The customer places an order through the API; returns its id. */
async function placeOrder(paymentToken = 'tok_visa'): Promise<string> {
  const productId = randomUUID();
  await productOnSale(productId);
  const placed = await orders.call('/api/v1/orders', {
    method: 'POST',
    token: orders.customer.token,
    headers: { 'idempotency-key': randomUUID() },
    body: { items: [{ productId, quantity: 2 }], paymentToken },
  });
  assert.equal(placed.status, 202, JSON.stringify(placed.body));
  return placed.body.id;
}

const ofOrder = (orderId: string) => (data: { orderId: string }) => data.orderId === orderId;

test('orders honours every pact its consumers published', async () => {
  const events = outboxEvents(orders, {
    OrderPlaced: async () => {
      const orderId = await placeOrder();
      return orders.outboxEvent('OrderPlaced', ofOrder(orderId));
    },
    OrderConfirmed: async () => {
      const orderId = await placeOrder();
      const payment = { orderId, paymentId: randomUUID(), amountCents: 9998, currency: 'EUR', authorizedAt: new Date().toISOString() };
      await orders.publish(PaymentAuthorized.v1, orderId, payment);
      return orders.outboxEvent('OrderConfirmed', ofOrder(orderId));
    },
    OrderCancelled: async () => {
      const orderId = await placeOrder();
      const rejection = { orderId, reason: 'insufficient_stock', shortages: [{ productId: randomUUID(), requested: 2, available: 0 }] };
      await orders.publish(StockRejected.v1, orderId, rejection);
      return orders.outboxEvent('OrderCancelled', ofOrder(orderId));
    },
  });
  const outcomes = await verifyPacts({
    provider: 'orders',
    providerBaseUrl: orders.url,
    bearerFor: (consumer) => (consumer === 'backoffice' ? orders.staffToken : orders.customer.token),
    messageProviders: events.messageProviders,
    stateHandlers: {
      ...events.stateHandlers,
      'a product is on sale': async (params) => {
        await productOnSale((params as { productId?: string })?.productId ?? examples.productId);
      },
      'the customer has an order': async () => ({ orderId: await placeOrder() }),
    },
  });
  assert.deepEqual(outcomes.map((o) => o.consumer).sort(), ['backoffice', 'inventory', 'notifications', 'payments', 'storefront']);
  assertVerified(outcomes);
});
