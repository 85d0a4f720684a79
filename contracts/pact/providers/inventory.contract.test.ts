// inventory verifies the backoffice's stock API pact and the stock-event pacts of orders and
// payments, answered with events its own code wrote to its outbox after it consumed real orders.events messages.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { OrderCancelled, OrderPlaced } from '@meridian/contracts';
import { inventoryService } from '../../../services/inventory/src/service.ts';
import { startProvider, type RunningProvider } from '../support/provider.ts';
import { assertVerified, outboxEvents, verifyPacts } from '../support/verify.ts';

let inventory: RunningProvider;

before(async () => {
  inventory = await startProvider(inventoryService());
});
after(() => inventory?.stop());

async function stock(productId: string, available: number): Promise<void> {
  const set = await inventory.call(`/api/v1/inventory/${productId}`, { method: 'PUT', token: inventory.staffToken, body: { available } });
  assert.equal(set.status, 200, JSON.stringify(set.body));
}

/** Publishes OrderPlaced for two units of `productId`, as orders does; returns the order id. */
async function orderPlaced(productId: string): Promise<string> {
  const orderId = randomUUID();
  await inventory.publish(OrderPlaced.v2, orderId, {
    orderId,
    customerId: inventory.customer.id,
    items: [{ productId, sku: 'PACT-1', name: 'Pour-Over Kettle', quantity: 2, unitPriceCents: 4999 }],
    totalCents: 9998,
    currency: 'EUR',
    paymentToken: 'tok_visa',
    placedAt: new Date().toISOString(),
  });
  return orderId;
}

const ofOrder = (orderId: string) => (data: { orderId: string }) => data.orderId === orderId;

async function reserved(): Promise<string> {
  const productId = randomUUID();
  await stock(productId, 10);
  const orderId = await orderPlaced(productId);
  await inventory.outboxEvent('StockReserved', ofOrder(orderId));
  return orderId;
}

test('inventory honours every pact its consumers published', async () => {
  const events = outboxEvents(inventory, {
    StockReserved: async () => inventory.outboxEvent('StockReserved', ofOrder(await reserved())),
    StockRejected: async () => inventory.outboxEvent('StockRejected', ofOrder(await orderPlaced(randomUUID()))),
    StockReleased: async () => {
      const orderId = await reserved();
      const cancelled = { orderId, customerId: inventory.customer.id, reason: 'payment_declined', cancelledAt: new Date().toISOString() };
      await inventory.publish(OrderCancelled.v1, orderId, cancelled);
      return inventory.outboxEvent('StockReleased', ofOrder(orderId));
    },
  });
  const outcomes = await verifyPacts({
    provider: 'inventory',
    providerBaseUrl: inventory.url,
    bearerFor: () => inventory.staffToken,
    messageProviders: events.messageProviders,
    stateHandlers: {
      ...events.stateHandlers,
      'a product is stocked': async (params) => stock((params as { productId: string }).productId, 25),
    },
  });
  assert.deepEqual(outcomes.map((o) => o.consumer).sort(), ['backoffice', 'orders', 'payments']);
  assertVerified(outcomes);
});
