import { OrderCancelled, OrderConfirmed } from '@meridian/contracts';
import { readEvent } from '@meridian/messaging';
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

/**
 * The status change an `orders.events` message announces; undefined for any other event type. Throws
 * `InvalidEventError` for a message that is not a valid envelope of these events.
 */
export function orderUpdateFrom(message: FeedMessage): OrderUpdate | undefined {
  const event = readEvent(message.value, [OrderConfirmed, OrderCancelled]);
  if (!event) return undefined;
  if (event.type === 'OrderConfirmed') {
    return { orderId: event.data.orderId, status: 'CONFIRMED', at: event.data.confirmedAt, eventType: event.type };
  }
  return { orderId: event.data.orderId, status: 'CANCELLED', reason: event.data.reason, at: event.data.cancelledAt, eventType: event.type };
}
