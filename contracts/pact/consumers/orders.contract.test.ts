// orders consumes catalog.products (its read model), inventory.stock and payments.events (the saga),
// and identity's JWKS. Its real handlers run every example against its own migrated database.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Subscription } from '@meridian/messaging';
import * as repo from '../../../services/orders/src/db/repository.ts';
import { catalogProjectionSubscriptions, sagaSubscriptions } from '../../../services/orders/src/events/handlers.ts';
import { createOrderMetrics } from '../../../services/orders/src/metrics.ts';
import { createOrders, type Orders } from '../../../services/orders/src/orders.ts';
import { consumerHarness, type ConsumerHarness } from '../support/consumer.ts';
import { expectEvent } from '../support/events.ts';
import { expectJwks } from '../support/jwks.ts';
import { examples, pactBetween } from '../support/pact.ts';

let orders: ConsumerHarness;
let handlers: Subscription[];
let domain: Orders;

before(async () => {
  orders = await consumerHarness('orders');
  domain = createOrders({ sql: orders.sql, outbox: orders.outbox, metrics: createOrderMetrics(orders.metrics), source: 'orders' });
  handlers = [...catalogProjectionSubscriptions(), ...sagaSubscriptions(domain)];
});
after(() => orders.close());

test('orders <- catalog: product events feed the read model orders are priced from', async () => {
  const catalog = pactBetween('orders', 'catalog');
  await expectEvent(catalog, 'catalog', 'ProductCreated', (event) => orders.handle(handlers, event));
  const created = (await repo.findCatalogProducts(orders.sql, [examples.productId])).get(examples.productId);
  assert.equal(created?.priceCents, 4999);
  await expectEvent(catalog, 'catalog', 'ProductUpdated', (event) => orders.handle(handlers, event));
  await expectEvent(catalog, 'catalog', 'ProductDeactivated', (event) => orders.handle(handlers, event));
  assert.equal((await repo.findCatalogProducts(orders.sql, [examples.productId])).get(examples.productId)?.active, false);
});

test('orders <- inventory: stock outcomes of the saga', async () => {
  const inventory = pactBetween('orders', 'inventory');
  for (const type of ['StockReserved', 'StockRejected', 'StockReleased'] as const) {
    await expectEvent(inventory, 'inventory', type, (event) => orders.handle(handlers, event));
  }
});

test('orders <- payments: payment outcomes of the saga', async () => {
  const payments = pactBetween('orders', 'payments');
  for (const type of ['PaymentAuthorized', 'PaymentDeclined'] as const) {
    await expectEvent(payments, 'payments', type, (event) => orders.handle(handlers, event));
  }
});

test('orders -> identity: JWKS to verify access tokens', () => expectJwks('orders'));
