// payments verifies orders' pact for payment outcomes, answered with events its own code wrote
// to its outbox after it consumed real OrderPlaced and StockReserved messages.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { OrderPlaced, StockReserved } from '@meridian/contracts';
import { paymentsService } from '../../../services/payments/src/service.ts';
import { startProvider, type RunningProvider } from '../support/provider.ts';
import { assertVerified, outboxEvents, verifyPacts } from '../support/verify.ts';

let payments: RunningProvider;

before(async () => {
  payments = await startProvider(paymentsService(), { PAYMENT_PROVIDER_LATENCY_MS: '0' });
});
after(() => payments?.stop());

/** The saga facts payments waits for: the order (amount + token) and its reserved stock. */
async function orderWithReservedStock(paymentToken: string): Promise<string> {
  const orderId = randomUUID();
  const productId = randomUUID();
  await payments.publish(OrderPlaced.v2, orderId, {
    orderId,
    customerId: payments.customer.id,
    items: [{ productId, sku: 'PACT-1', name: 'Pour-Over Kettle', quantity: 2, unitPriceCents: 4999 }],
    totalCents: 9998,
    currency: 'EUR',
    paymentToken,
    placedAt: new Date().toISOString(),
  });
  const expiresAt = new Date(Date.now() + 900_000).toISOString();
  await payments.publish(StockReserved.v1, orderId, { orderId, items: [{ productId, quantity: 2 }], expiresAt });
  return orderId;
}

const ofOrder = (orderId: string) => (data: { orderId: string }) => data.orderId === orderId;

test('payments honours every pact its consumers published', async () => {
  const events = outboxEvents(payments, {
    PaymentAuthorized: async () => payments.outboxEvent('PaymentAuthorized', ofOrder(await orderWithReservedStock('tok_visa'))),
    PaymentDeclined: async () => payments.outboxEvent('PaymentDeclined', ofOrder(await orderWithReservedStock('tok_decline'))),
  });
  const outcomes = await verifyPacts({
    provider: 'payments',
    providerBaseUrl: payments.url,
    messageProviders: events.messageProviders,
    stateHandlers: events.stateHandlers,
  });
  assert.deepEqual(outcomes.map((o) => o.consumer), ['orders']);
  assertVerified(outcomes);
});
