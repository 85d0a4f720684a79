// notifications verifies the backoffice's pact: the notifications its real consumer recorded
// after real orders.events messages.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { OrderConfirmed, OrderPlaced } from '@meridian/contracts';
import { waitFor } from '@meridian/testkit';
import { notificationsService } from '../../../services/notifications/src/service.ts';
import { startProvider, type RunningProvider } from '../support/provider.ts';
import { assertVerified, verifyPacts } from '../support/verify.ts';

let notifications: RunningProvider;

before(async () => {
  notifications = await startProvider(notificationsService());
});
after(() => notifications?.stop());

/** Publishes OrderPlaced then OrderConfirmed, as orders does, and waits for the notification. */
async function orderConfirmed(orderId: string): Promise<void> {
  const customerId = notifications.customer.id;
  const now = () => new Date().toISOString();
  await notifications.publish(OrderPlaced.v2, orderId, {
    orderId,
    customerId,
    customerEmail: notifications.customer.email,
    items: [{ productId: randomUUID(), sku: 'PACT-1', name: 'Pour-Over Kettle', quantity: 2, unitPriceCents: 4999 }],
    totalCents: 9998,
    currency: 'EUR',
    paymentToken: 'tok_visa',
    placedAt: now(),
  });
  await notifications.publish(OrderConfirmed.v1, orderId, { orderId, customerId, totalCents: 9998, currency: 'EUR', confirmedAt: now() });
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
