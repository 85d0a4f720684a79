/** SQL for the orders service (porsager tagged templates only). */
import type { Sql, TransactionSql } from 'postgres';
import type { ProductDeactivatedV1, ProductSnapshotV1 } from '@meridian/contracts';
import type { CatalogProduct, OrderStatus, PricedLine } from '../domain/order.ts';
import type { Cursor } from '../domain/cursor.ts';

export interface OrderRow {
  id: string;
  customerId: string;
  customerEmail: string | null;
  status: OrderStatus;
  reason: string | null;
  totalCents: number;
  currency: string;
  paymentToken: string;
  requestHash: string;
  traceId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface OrderView extends OrderRow {
  items: (PricedLine & { lineTotalCents: number })[];
}

export interface OrderEventRow {
  eventId: string;
  type: string;
  version: number;
  source: string;
  direction: 'in' | 'out';
  outcome: 'applied' | 'recorded' | 'ignored';
  note: string | null;
  data: unknown;
  recordedAt: Date;
}

export interface OrderFilter {
  customerId?: string;
  status?: OrderStatus;
  from?: string;
  to?: string;
  cursor?: Cursor;
  limit: number;
}

const orderColumns = (sql: Sql | TransactionSql) => sql`
  id, customer_id as "customerId", customer_email as "customerEmail", status, reason,
  total_cents::float8 as "totalCents", currency, payment_token as "paymentToken",
  request_hash as "requestHash", trace_id as "traceId", created_at as "createdAt", updated_at as "updatedAt"`;

// ---- catalog read model ----

/** Upserts a product snapshot unless the stored one is newer (events may be redelivered late). */
export async function upsertCatalogProduct(tx: TransactionSql, p: ProductSnapshotV1): Promise<void> {
  await tx`
    insert into catalog_products (product_id, sku, name, price_cents, currency, active, updated_at)
    values (${p.productId}, ${p.sku}, ${p.name}, ${p.priceCents}, ${p.currency}, ${p.active}, ${p.updatedAt})
    on conflict (product_id) do update set
      sku = excluded.sku, name = excluded.name, price_cents = excluded.price_cents,
      currency = excluded.currency, active = excluded.active, updated_at = excluded.updated_at
    where catalog_products.updated_at <= excluded.updated_at`;
}

export async function deactivateCatalogProduct(tx: TransactionSql, e: ProductDeactivatedV1): Promise<void> {
  await tx`
    update catalog_products set active = false, updated_at = ${e.deactivatedAt}
    where product_id = ${e.productId} and updated_at <= ${e.deactivatedAt}`;
}

export async function findCatalogProducts(
  sql: Sql | TransactionSql,
  productIds: string[],
): Promise<Map<string, CatalogProduct>> {
  const rows = await sql<CatalogProduct[]>`
    select product_id as "productId", sku, name, price_cents::float8 as "priceCents", currency, active
    from catalog_products where product_id = any(${productIds}::uuid[])`;
  return new Map(rows.map((r) => [r.productId, r]));
}

// ---- orders ----

export interface NewOrder {
  id: string;
  customerId: string;
  customerEmail: string | null;
  totalCents: number;
  currency: string;
  paymentToken: string;
  idempotencyKey: string;
  requestHash: string;
  traceId: string | null;
  createdAt: Date;
  items: PricedLine[];
}

/** Inserts the order unless this customer already used the key; returns false on that conflict. */
export async function insertOrder(tx: TransactionSql, o: NewOrder): Promise<boolean> {
  const inserted = await tx`
    insert into orders (id, customer_id, customer_email, status, total_cents, currency, payment_token,
                        idempotency_key, request_hash, trace_id, created_at, updated_at)
    values (${o.id}, ${o.customerId}, ${o.customerEmail}, 'PENDING', ${o.totalCents}, ${o.currency},
            ${o.paymentToken}, ${o.idempotencyKey}, ${o.requestHash}, ${o.traceId}, ${o.createdAt}, ${o.createdAt})
    on conflict (customer_id, idempotency_key) do nothing
    returning id`;
  if (inserted.length === 0) return false;
  const lines = o.items.map((i) => ({
    order_id: o.id,
    product_id: i.productId,
    sku: i.sku,
    name: i.name,
    quantity: i.quantity,
    unit_price_cents: i.unitPriceCents,
  }));
  await tx`insert into order_lines ${tx(lines)}`;
  return true;
}

export async function findOrderByIdempotencyKey(
  sql: Sql | TransactionSql,
  customerId: string,
  key: string,
): Promise<OrderRow | undefined> {
  const [row] = await sql<OrderRow[]>`
    select ${orderColumns(sql)} from orders where customer_id = ${customerId} and idempotency_key = ${key}`;
  return row;
}

/** Locks the order row so saga handlers and the timeout sweeper never race on one order. */
export async function lockOrder(tx: TransactionSql, id: string): Promise<OrderRow | undefined> {
  const [row] = await tx<OrderRow[]>`select ${orderColumns(tx)} from orders where id = ${id} for update`;
  return row;
}

export async function setOrderStatus(
  tx: TransactionSql,
  id: string,
  status: OrderStatus,
  reason: string | null,
  at: Date,
): Promise<void> {
  await tx`update orders set status = ${status}, reason = ${reason}, updated_at = ${at} where id = ${id}`;
}

/** PENDING orders created before `before`, locked; rows another worker holds are skipped. */
export async function lockTimedOutOrders(tx: TransactionSql, before: Date, limit: number): Promise<OrderRow[]> {
  return tx<OrderRow[]>`
    select ${orderColumns(tx)} from orders
    where status = 'PENDING' and created_at < ${before}
    order by created_at
    limit ${limit}
    for update skip locked`;
}

export async function getOrder(sql: Sql, id: string): Promise<OrderView | undefined> {
  const [row] = await sql<OrderRow[]>`select ${orderColumns(sql)} from orders where id = ${id}`;
  if (!row) return undefined;
  const [view] = await withItems(sql, [row]);
  return view;
}

export async function listOrders(sql: Sql, f: OrderFilter): Promise<OrderView[]> {
  const rows = await sql<OrderRow[]>`
    select ${orderColumns(sql)} from orders
    where true
      ${f.customerId ? sql`and customer_id = ${f.customerId}` : sql``}
      ${f.status ? sql`and status = ${f.status}` : sql``}
      ${f.from ? sql`and created_at >= ${f.from}` : sql``}
      ${f.to ? sql`and created_at < ${f.to}` : sql``}
      ${f.cursor ? sql`and (created_at, id) < (${f.cursor.createdAt}::timestamptz, ${f.cursor.id}::uuid)` : sql``}
    order by created_at desc, id desc
    limit ${f.limit}`;
  return withItems(sql, rows);
}

async function withItems(sql: Sql, rows: OrderRow[]): Promise<OrderView[]> {
  if (rows.length === 0) return [];
  const lines = await sql<(PricedLine & { orderId: string })[]>`
    select order_id as "orderId", product_id as "productId", sku, name, quantity,
           unit_price_cents::float8 as "unitPriceCents"
    from order_lines where order_id = any(${rows.map((r) => r.id)}::uuid[])
    order by product_id`;
  return rows.map((r) => ({
    ...r,
    items: lines
      .filter((l) => l.orderId === r.id)
      .map(({ orderId: _, ...l }) => ({ ...l, lineTotalCents: l.quantity * l.unitPriceCents })),
  }));
}

// ---- history ----

export interface NewOrderEvent {
  orderId: string;
  eventId: string;
  type: string;
  version: number;
  source: string;
  direction: 'in' | 'out';
  outcome: 'applied' | 'recorded' | 'ignored';
  note?: string;
  data: unknown;
}

export async function recordOrderEvent(tx: TransactionSql, e: NewOrderEvent): Promise<void> {
  await tx`
    insert into order_events (order_id, event_id, type, version, source, direction, outcome, note, data)
    values (${e.orderId}, ${e.eventId}, ${e.type}, ${e.version}, ${e.source}, ${e.direction}, ${e.outcome},
            ${e.note ?? null}, ${tx.json(e.data as never)})`;
}

/** `recordOrderEvent` when the order exists (an event about another service's order is not recorded); returns whether it was. */
export async function recordOrderEventIfOrder(tx: TransactionSql, e: NewOrderEvent): Promise<boolean> {
  const recorded = await tx`
    insert into order_events (order_id, event_id, type, version, source, direction, outcome, note, data)
    select ${e.orderId}::uuid, ${e.eventId}::uuid, ${e.type}::text, ${e.version}::int, ${e.source}::text, ${e.direction}::text,
           ${e.outcome}::text, ${e.note ?? null}::text, ${tx.json(e.data as never)}::jsonb
    where exists (select 1 from orders where id = ${e.orderId}::uuid)
    returning seq`;
  return recorded.length > 0;
}

export async function orderHistory(sql: Sql, orderId: string): Promise<OrderEventRow[]> {
  return sql<OrderEventRow[]>`
    select event_id as "eventId", type, version, source, direction, outcome, note, data,
           recorded_at as "recordedAt"
    from order_events where order_id = ${orderId} order by seq`;
}
