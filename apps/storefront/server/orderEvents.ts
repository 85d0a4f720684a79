import type { FeedMessage } from '../../shared/server/liveFeed.ts';

export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'CANCELLED';

/** What the order page needs to know when an order's outcome is published. */
export interface OrderUpdate {
  orderId: string;
  status: OrderStatus;
  reason?: string;
  at: string;
  eventType: string;
}

export const isFinal = (status: string): boolean => status === 'CONFIRMED' || status === 'CANCELLED';

interface Envelope {
  type?: unknown;
  key?: unknown;
  time?: unknown;
  data?: { orderId?: unknown; reason?: unknown; confirmedAt?: unknown; cancelledAt?: unknown };
}

/** The status change an `orders.events` message announces, or undefined for any other message. */
export function orderUpdateFrom(message: FeedMessage): OrderUpdate | undefined {
  const envelope = message.value as Envelope | null;
  if (!envelope || typeof envelope !== 'object' || !envelope.data) return undefined;
  const orderId = typeof envelope.data.orderId === 'string' ? envelope.data.orderId : message.key;
  const time = typeof envelope.time === 'string' ? envelope.time : message.timestamp;
  if (envelope.type === 'OrderConfirmed') {
    return { orderId, status: 'CONFIRMED', at: String(envelope.data.confirmedAt ?? time), eventType: envelope.type };
  }
  if (envelope.type === 'OrderCancelled') {
    const reason = typeof envelope.data.reason === 'string' ? envelope.data.reason : undefined;
    return { orderId, status: 'CANCELLED', reason, at: String(envelope.data.cancelledAt ?? time), eventType: envelope.type };
  }
  return undefined;
}
