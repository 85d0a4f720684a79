// notifications consumes orders.events (one notification per outcome, to the email v2 carries) and identity's JWKS.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Subscription } from '@meridian/messaging';
import * as repo from '../../../services/notifications/src/db/repository.ts';
import { notificationSubscriptions } from '../../../services/notifications/src/events/handlers.ts';
import { createdCounter } from '../../../services/notifications/src/metrics.ts';
import { consumerHarness, type ConsumerHarness } from '../support/consumer.ts';
import { expectEvent } from '../support/events.ts';
import { expectJwks } from '../support/jwks.ts';
import { examples, pactBetween } from '../support/pact.ts';

let notifications: ConsumerHarness;
let handlers: Subscription[];

before(async () => {
  notifications = await consumerHarness('notifications');
  handlers = notificationSubscriptions(createdCounter(notifications.metrics));
});
after(() => notifications.close());

test('notifications <- orders: one notification per outcome, to the email the event carries', async () => {
  const orders = pactBetween('notifications', 'orders');
  for (const type of ['OrderConfirmed', 'OrderCancelled'] as const) {
    await expectEvent(orders, 'orders', type, (event) => notifications.handle(handlers, event));
  }
  const sent = await repo.listNotifications(notifications.sql, { orderId: examples.orderId, limit: 10 });
  assert.deepEqual(sent.map((n) => n.recipient).sort(), ['shopper@example.com', 'shopper@example.com']);
});

test('notifications -> identity: JWKS to verify access tokens', () => expectJwks('notifications'));
