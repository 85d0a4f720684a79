import type { Logger } from '@meridian/log';
import * as q from './db/queries.ts';
import type { Authorize, Decision } from './authorizer.ts';
import type { PaymentEvents } from './events/publish.ts';

/**
 * The payment saga step. A payment is authorized once both facts are known, whichever arrives
 * first: the order (amount + token, from OrderPlaced) and its reserved stock (StockReserved).
 * Each step runs inside the consumer's transaction; the provider call happens in it too, bounded
 * by the authorizer's timeouts, so a crash before commit retries the (idempotent) provider call.
 */
export function createPayments(deps: { events: PaymentEvents; authorize: Authorize; log: Logger }) {
  const { events, authorize, log } = deps;

  async function authorizeIfReady(tx: q.Tx, payment: q.Payment): Promise<Decision | undefined> {
    if (!payment.stockReserved || payment.amountCents === null || payment.status !== 'pending') return undefined;
    const decision = await authorize({
      orderId: payment.orderId,
      amountCents: payment.amountCents,
      currency: payment.currency!,
      token: payment.paymentToken!,
    });
    const at = new Date().toISOString();
    if (decision.status === 'authorized') {
      // The decision and its event go to the database together (one round trip).
      await Promise.all([
        q.recordDecision(tx, payment.paymentId, {
          status: 'authorized',
          reason: null,
          authorizationId: decision.authorizationId,
          attempts: decision.attempts,
        }),
        events.paymentAuthorized(tx, {
          orderId: payment.orderId,
          paymentId: payment.paymentId,
          amountCents: payment.amountCents,
          currency: payment.currency!,
          authorizedAt: at,
        }),
      ]);
    } else {
      await Promise.all([
        q.recordDecision(tx, payment.paymentId, {
          status: 'declined',
          reason: decision.reason,
          authorizationId: null,
          attempts: decision.attempts,
        }),
        events.paymentDeclined(tx, {
          orderId: payment.orderId,
          paymentId: payment.paymentId,
          reason: decision.reason,
          declinedAt: at,
        }),
      ]);
    }
    log.info({ orderId: payment.orderId, ...decision }, 'payment decided');
    return decision;
  }

  return {
    async orderPlaced(
      tx: q.Tx,
      order: { orderId: string; customerId: string; totalCents: number; currency: string; paymentToken: string },
    ) {
      const payment = await q.recordOrder(tx, {
        orderId: order.orderId,
        customerId: order.customerId,
        amountCents: order.totalCents,
        currency: order.currency,
        paymentToken: order.paymentToken,
      });
      if (!payment) return log.warn({ orderId: order.orderId }, 'order already known; ignored');
      return authorizeIfReady(tx, payment);
    },
    async stockReserved(tx: q.Tx, orderId: string) {
      const payment = await q.recordStockReserved(tx, orderId);
      if (!payment) return log.warn({ orderId }, 'stock reservation already seen; ignored');
      return authorizeIfReady(tx, payment);
    },
  };
}

export type Payments = ReturnType<typeof createPayments>;
