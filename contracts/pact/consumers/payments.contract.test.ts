// payments consumes OrderPlaced (amount + token) and StockReserved (go ahead), and identity's JWKS.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Subscription } from '@meridian/messaging';
import { paymentSubscriptions } from '../../../services/payments/src/events/handlers.ts';
import { paymentEvents } from '../../../services/payments/src/events/publish.ts';
import { createPayments } from '../../../services/payments/src/payments.ts';
import { consumerHarness, type ConsumerHarness } from '../support/consumer.ts';
import { expectEvent } from '../support/events.ts';
import { expectJwks } from '../support/jwks.ts';
import { pactBetween } from '../support/pact.ts';

let payments: ConsumerHarness;
let handlers: Subscription[];

before(async () => {
  payments = await consumerHarness('payments');
  // The card provider is outside this contract: it authorizes every request here.
  const domain = createPayments({
    events: paymentEvents(payments.outbox),
    authorize: async () => ({ status: 'authorized', authorizationId: 'auth-pact', attempts: 1 }),
    log: payments.logger,
  });
  handlers = paymentSubscriptions(domain);
});
after(() => payments.close());

test('payments <- orders and inventory: the order and its reserved stock lead to an authorization', async () => {
  await expectEvent(pactBetween('payments', 'orders'), 'orders', 'OrderPlaced', (event) => payments.handle(handlers, event));
  await expectEvent(pactBetween('payments', 'inventory'), 'inventory', 'StockReserved', (event) => payments.handle(handlers, event));
  const published = await payments.outboxEvents();
  assert.deepEqual(published.map((e) => e.type), ['PaymentAuthorized']);
  assert.equal(published[0].payload.data.amountCents, 9998);
});

test('payments -> identity: JWKS to verify access tokens', () => expectJwks('payments'));
