// notifications verifies the backoffice's pact: the notifications its real consumer recorded
// after real orders.events messages.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { OrderConfirmed } from '@meridian/contracts';
import { waitFor } from '@meridian/testkit';
import { notificationsService } from '../../../services/notifications/src/service.ts';
import { startProvider, type RunningProvider } from '../support/provider.ts';
import { assertVerified, verifyPacts } from '../support/verify.ts';

let notifications: RunningProvider;

before(async () => {
  notifications = await startProvider(notificationsService());
});
after(() => notifications?.stop());

/** Publishes OrderConfirmed (v2, with the customer's email), as orders does, and waits for the notification. */
async function orderConfirmed(orderId: string): Promise<void> {
  const customerId = notifications.customer.id;
  const confirmedAt = new Date().toISOString();
  await notifications.publish(OrderConfirmed.v2, orderId, { orderId, customerId, totalCents: 9998, currency: 'EUR', confirmedAt, customerEmail: notifications.customer.email });
  await waitFor(
    async () => (await notifications.call(`/api/v1/notifications?orderId=${orderId}`, { token: notifications.staffToken })).body?.items?.length > 0,
    { timeoutMs: 20_000, message: 'the order confirmation notification' },
  );
}

test('notifications honours every pact its consumers published', async () => {
  const outcomes = await verifyPacts({
    provider: 'notifications',
    providerBaseUrl: notifications.url,
    bearerFor: () => notifications.staffToken,
    stateHandlers: {
      'a notification was sent for an order': async (params) => orderConfirmed((params as { orderId: string }).orderId),
    },
  });
  assert.deepEqual(outcomes.map((o) => o.consumer), ['backoffice']);
  assertVerified(outcomes);
});
