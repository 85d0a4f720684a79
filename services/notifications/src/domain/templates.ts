/** Renders customer notifications. Pure: same input, same message. */
export type Template = 'order-confirmed' | 'order-cancelled';

export interface Message {
  template: Template;
  subject: string;
  body: string;
}

export interface OrderFacts {
  orderId: string;
  totalCents: number;
  currency: string;
}

/** `1234, 'EUR'` → `EUR 12.34`; currencies are treated as having two minor digits. */
export function formatMoney(minorUnits: number, currency: string): string {
  const sign = minorUnits < 0 ? '-' : '';
  const abs = Math.abs(minorUnits);
  return `${currency} ${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

const shortId = (orderId: string) => orderId.slice(0, 8).toUpperCase();

const reasonText: Record<string, string> = {
  insufficient_stock: 'some items are out of stock',
  saga_timeout: 'we could not complete it in time',
  reservation_expired: 'the reservation of your items expired',
};

/** A human explanation for a cancellation reason such as `payment_declined: card_declined`. */
export function describeReason(reason: string): string {
  if (reason.startsWith('payment_declined')) {
    const detail = reason.slice('payment_declined'.length).replace(/^:\s*/, '').replaceAll('_', ' ');
    return detail ? `the payment was declined (${detail})` : 'the payment was declined';
  }
  return reasonText[reason] ?? reason.replaceAll('_', ' ');
}

export function orderConfirmed(order: OrderFacts): Message {
  return {
    template: 'order-confirmed',
    subject: `Your order ${shortId(order.orderId)} is confirmed`,
    body:
      `Good news: your order ${order.orderId} is confirmed. ` +
      `Total charged: ${formatMoney(order.totalCents, order.currency)}. Thank you for shopping with Meridian.`,
  };
}

export function orderCancelled(order: Pick<OrderFacts, 'orderId'>, reason: string): Message {
  return {
    template: 'order-cancelled',
    subject: `Your order ${shortId(order.orderId)} was cancelled`,
    body:
      `We are sorry: your order ${order.orderId} was cancelled because ${describeReason(reason)}. ` +
      'You have not been charged.',
  };
}

/** Where to send: the email when the outcome event (v2) carries it, else the customer id for later resolution. */
export function recipientFor(customerId: string, customerEmail: string | null | undefined): string {
  return customerEmail ?? `customer:${customerId}`;
}
