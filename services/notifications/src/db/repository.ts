/** SQL for the notifications service (porsager tagged templates only). */
import type { Sql, TransactionSql } from 'postgres';
import type { Cursor } from '../domain/cursor.ts';
import type { Template } from '../domain/templates.ts';

export interface NotificationRow {
  id: string;
  orderId: string;
  customerId: string;
  channel: 'email';
  recipient: string;
  template: Template;
  subject: string;
  body: string;
  createdAt: Date;
  sourceEventId: string;
}

/** Inserts unless a notification for this source event exists; returns whether it was inserted. */
export async function insertNotification(tx: TransactionSql, n: NotificationRow): Promise<boolean> {
  const rows = await tx`
    insert into notifications (id, order_id, customer_id, channel, recipient, template, subject, body,
                               created_at, source_event_id)
    values (${n.id}, ${n.orderId}, ${n.customerId}, ${n.channel}, ${n.recipient}, ${n.template}, ${n.subject},
            ${n.body}, ${n.createdAt}, ${n.sourceEventId})
    on conflict (source_event_id) do nothing
    returning id`;
  return rows.length === 1;
}

export async function listNotifications(
  sql: Sql,
  f: { orderId?: string; customerId?: string; cursor?: Cursor; limit: number },
): Promise<NotificationRow[]> {
  return sql<NotificationRow[]>`
    select id, order_id as "orderId", customer_id as "customerId", channel, recipient, template, subject, body,
           created_at as "createdAt", source_event_id as "sourceEventId"
    from notifications
    where true
      ${f.orderId ? sql`and order_id = ${f.orderId}` : sql``}
      ${f.customerId ? sql`and customer_id = ${f.customerId}` : sql``}
      ${f.cursor ? sql`and (created_at, id) < (${f.cursor.createdAt}::timestamptz, ${f.cursor.id}::uuid)` : sql``}
    order by created_at desc, id desc
    limit ${f.limit}`;
}
