import { randomUUID } from 'node:crypto';
import type postgres from 'postgres';

export type Db = postgres.Sql | postgres.TransactionSql;
export type Tx = postgres.TransactionSql;

export type PaymentStatus = 'pending' | 'authorized' | 'declined';

export interface Payment {
  paymentId: string;
  orderId: string;
  customerId: string | null;
  amountCents: number | null;
  currency: string | null;
  paymentToken: string | null;
  stockReserved: boolean;
  status: PaymentStatus;
  reason: string | null;
  attempts: number;
  createdAt: Date;
  updatedAt: Date;
}

export const paymentColumns = (db: Db) => db`
  payment_id as "paymentId", order_id as "orderId", customer_id as "customerId",
  amount_cents as "amountCents", currency, payment_token as "paymentToken",
  stock_reserved as "stockReserved", status, reason, attempts,
  created_at as "createdAt", updated_at as "updatedAt"`;

/** Stores the order's amount and token once; undefined when they were already known (a duplicate). */
export async function recordOrder(
  tx: Tx,
  order: { orderId: string; customerId: string; amountCents: number; currency: string; paymentToken: string },
): Promise<Payment | undefined> {
  const [row] = await tx<Payment[]>`
    insert into payments (payment_id, order_id, customer_id, amount_cents, currency, payment_token)
    values (${randomUUID()}, ${order.orderId}, ${order.customerId}, ${order.amountCents}, ${order.currency}, ${order.paymentToken})
    on conflict (order_id) do update set
      customer_id = excluded.customer_id, amount_cents = excluded.amount_cents,
      currency = excluded.currency, payment_token = excluded.payment_token, updated_at = now()
    where payments.amount_cents is null
    returning ${paymentColumns(tx)}`;
  return row;
}

/** Records that the order's stock is reserved, once; undefined when it already was (a duplicate). */
export async function recordStockReserved(tx: Tx, orderId: string): Promise<Payment | undefined> {
  const [row] = await tx<Payment[]>`
    insert into payments (payment_id, order_id, stock_reserved)
    values (${randomUUID()}, ${orderId}, true)
    on conflict (order_id) do update set stock_reserved = true, updated_at = now()
    where payments.stock_reserved = false
    returning ${paymentColumns(tx)}`;
  return row;
}

/** Stores the provider's decision for a pending payment and forgets the token. */
export async function recordDecision(
  tx: Tx,
  paymentId: string,
  d: { status: 'authorized' | 'declined'; reason: string | null; authorizationId: string | null; attempts: number },
): Promise<Payment> {
  const [row] = await tx<Payment[]>`
    update payments set status = ${d.status}, reason = ${d.reason}, authorization_id = ${d.authorizationId},
      attempts = ${d.attempts}, payment_token = null, updated_at = now()
    where payment_id = ${paymentId} and status = 'pending'
    returning ${paymentColumns(tx)}`;
  if (!row) throw new Error(`payment ${paymentId} is no longer pending`);
  return row;
}

export async function paymentsForOrder(db: Db, orderId: string): Promise<Payment[]> {
  return db<Payment[]>`select ${paymentColumns(db)} from payments where order_id = ${orderId} order by created_at`;
}
