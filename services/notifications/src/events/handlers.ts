/** Kafka handlers: remember who placed each order, then write one notification per outcome event. */
import { randomUUID } from 'node:crypto';
import type { TransactionSql } from 'postgres';
import { type EventEnvelope, type HandlerContext, on, type Subscription } from '@meridian/messaging';
import type { Counter } from 'prom-client';
import { withSpan } from '@meridian/telemetry';
import { OrderCancelled, OrderConfirmed, OrderPlaced } from '@meridian/contracts';
import * as repo from '../db/repository.ts';
import { orderCancelled, orderConfirmed, recipientFor, type Message } from '../domain/templates.ts';

export function notificationSubscriptions(created: Counter<'template'>): Subscription[] {
  async function record(
    tx: TransactionSql,
    event: EventEnvelope<{ orderId: string; customerId: string }>,
    message: Message,
    customerEmail: string | null | undefined,
    logger: HandlerContext['logger'],
  ): Promise<void> {
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
    // v1 has no customerEmail; v2 may carry it.
    on(OrderPlaced, async (event, tx) => {
      const d = event.data;
      await repo.saveOrderContact(tx, {
        orderId: d.orderId,
        customerId: d.customerId,
        customerEmail: (event.version === 2 ? event.data.customerEmail : undefined) ?? null,
        totalCents: d.totalCents,
        currency: d.currency,
        placedAt: d.placedAt,
      });
    }),
    on(OrderConfirmed, async (event, tx, { logger }) => {
      const contact = await repo.findOrderContact(tx, event.data.orderId);
      await record(tx, event, orderConfirmed(event.data), contact?.customerEmail, logger);
    }),
    on(OrderCancelled, async (event, tx, { logger }) => {
      const contact = await repo.findOrderContact(tx, event.data.orderId);
      await record(tx, event, orderCancelled({ orderId: event.data.orderId, ...contact }, event.data.reason), contact?.customerEmail, logger);
    }),
  ];
}
