/**
 * Kafka handlers: one notification per outcome event, to the email the event carries (v2) or, for a v1
 * event (an orders build before v2), to the customer id for later resolution.
 */
import { randomUUID } from 'node:crypto';
import type { TransactionSql } from 'postgres';
import { type EventEnvelope, type HandlerContext, on, type Subscription } from '@meridian/messaging';
import type { Counter } from 'prom-client';
import { withSpan } from '@meridian/telemetry';
import { OrderCancelled, OrderConfirmed } from '@meridian/contracts';
import * as repo from '../db/repository.ts';
import { orderCancelled, orderConfirmed, recipientFor, type Message } from '../domain/templates.ts';

export function notificationSubscriptions(created: Counter<'template'>): Subscription[] {
  /** Records `message` for the outcome `event`, to the email v2 carries, else to the customer id. */
  async function record(
    tx: TransactionSql,
    event: EventEnvelope<{ orderId: string; customerId: string; customerEmail?: string }>,
    message: Message,
    logger: HandlerContext['logger'],
  ): Promise<void> {
    const customerEmail = event.version === 2 ? event.data.customerEmail : undefined;
    const attributes = { 'notification.channel': 'email', 'notification.template': message.template, 'notification.order_id': event.data.orderId };
    const inserted = await withSpan(`notify ${message.template}`, attributes, () => repo.insertNotification(tx, {
      id: randomUUID(),
      orderId: event.data.orderId,
      customerId: event.data.customerId,
      channel: 'email',
      recipient: recipientFor(event.data.customerId, customerEmail),
      ...message,
      createdAt: new Date(),
      sourceEventId: event.id,
    }));
    if (!inserted) return;
    created.inc({ template: message.template });
    // The notification's line in its order's trace (the routine `event handled` line is at debug).
    logger.info({ orderId: event.data.orderId, template: message.template, channel: 'email' }, 'notification recorded');
  }

  return [
    on(OrderConfirmed, (event, tx, { logger }) => record(tx, event, orderConfirmed(event.data), logger)),
    on(OrderCancelled, (event, tx, { logger }) => record(tx, event, orderCancelled(event.data, event.data.reason), logger)),
  ];
}
