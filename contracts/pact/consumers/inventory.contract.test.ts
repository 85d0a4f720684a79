// inventory consumes orders.events (reserve, commit, release) and identity's JWKS.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Subscription } from '@meridian/messaging';
import { orderEventSubscriptions } from '../../../services/inventory/src/events/handlers.ts';
import { inventoryEvents } from '../../../services/inventory/src/events/publish.ts';
import { createInventory } from '../../../services/inventory/src/inventory.ts';
import { consumerHarness, type ConsumerHarness } from '../support/consumer.ts';
import { expectEvent } from '../support/events.ts';
import { expectJwks } from '../support/jwks.ts';
import { pactBetween } from '../support/pact.ts';

let inventory: ConsumerHarness;
let handlers: Subscription[];

before(async () => {
  inventory = await consumerHarness('inventory');
  const domain = createInventory({ events: inventoryEvents(inventory.outbox), reservationTtlSeconds: 900 });
  handlers = orderEventSubscriptions(domain, inventory.logger);
});
after(() => inventory.close());

test('inventory <- orders: an order is decided against stock, then committed or released', async () => {
  const orders = pactBetween('inventory', 'orders');
  await expectEvent(orders, 'orders', 'OrderPlaced', (event) => inventory.handle(handlers, event));
  // Nothing is stocked in a fresh database: the order is rejected, naming the shortage.
  const [decision] = await inventory.outboxEvents();
  assert.equal(decision?.type, 'StockRejected');
  await expectEvent(orders, 'orders', 'OrderConfirmed', (event) => inventory.handle(handlers, event));
  await expectEvent(orders, 'orders', 'OrderCancelled', (event) => inventory.handle(handlers, event));
});

test('inventory -> identity: JWKS to verify access tokens', () => expectJwks('inventory'));
