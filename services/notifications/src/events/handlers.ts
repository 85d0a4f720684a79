/** Kafka handlers: remember who placed each order, then write one notification per outcome event. */
import { randomUUID } from 'node:crypto';
import type { TransactionSql } from 'postgres';
import type { EventEnvelope, EventHandler } from '@meridian/messaging';
import type { Counter } from 'prom-client';
import { withSpan } from '@meridian/telemetry';
import type { OrderCancelledV1, OrderConfirmedV1, OrderPlacedV2 } from '@meridian/contracts';
import * as repo from '../db/repository.ts';
import { orderCancelled, orderConfirmed, recipientFor, type Message } from '../domain/templates.ts';

export function notificationHandlers(created: Counter<'template'>): Record<string, EventHandler> {
  async function record(
    tx: TransactionSql,
    event: EventEnvelope<{ orderId: string; customerId: string }>,
    message: Message,
    customerEmail: string | null | undefined,
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
    if (inserted) created.inc({ template: message.template });
  }

  return {
    // v1 has no customerEmail; v2 may carry it. Both shapes are accepted here.
    OrderPlaced: async (event: EventEnvelope<OrderPlacedV2>, tx) => {
      const d = event.data;
      await repo.saveOrderContact(tx, {
        orderId: d.orderId,
        customerId: d.customerId,
        customerEmail: d.customerEmail ?? null,
        totalCents: d.totalCents,
        currency: d.currency,
        placedAt: d.placedAt,
      });
    },
    OrderConfirmed: async (event: EventEnvelope<OrderConfirmedV1>, tx) => {
      const contact = await repo.findOrderContact(tx, event.data.orderId);
      await record(tx, event, orderConfirmed(event.data), contact?.customerEmail);
    },
    OrderCancelled: async (event: EventEnvelope<OrderCancelledV1>, tx) => {
      const contact = await repo.findOrderContact(tx, event.data.orderId);
      await record(tx, event, orderCancelled({ orderId: event.data.orderId, ...contact }, event.data.reason), contact?.customerEmail);
    },
  };
}
