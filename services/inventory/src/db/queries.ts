import type postgres from 'postgres';
import type { Line, ReservationStatus } from '../domain/reservation.ts';

/** A pool or a transaction: reads run on either, state changes always inside a transaction. */
export type Db = postgres.Sql | postgres.TransactionSql;
export type Tx = postgres.TransactionSql;

export interface StockLevel {
  productId: string;
  available: number;
  reserved: number;
}

export async function getStock(db: Db, productId: string): Promise<StockLevel | undefined> {
  const [row] = await db<StockLevel[]>`
    select product_id as "productId", available, reserved from stock where product_id = ${productId}`;
  return row;
}

export async function getStocks(db: Db, productIds: readonly string[]): Promise<StockLevel[]> {
  if (productIds.length === 0) return [];
  return db<StockLevel[]>`
    select product_id as "productId", available, reserved from stock
    where product_id in ${db(productIds)} order by product_id`;
}

/** Locks the products' stock rows in productId order and returns what is available. */
export async function lockAvailable(tx: Tx, productIds: readonly string[]): Promise<Map<string, number>> {
  const rows = await tx<{ productId: string; available: number }[]>`
    select product_id as "productId", available from stock
    where product_id in ${tx(productIds)} order by product_id for update`;
  return new Map(rows.map((r) => [r.productId, r.available]));
}

/** Records the order's reservation decision once; false when the order was already decided. */
export async function insertReservation(
  tx: Tx,
  r: { orderId: string; status: ReservationStatus; expiresAt: Date | null; items: Line[] },
): Promise<boolean> {
  const rows = await tx`
    insert into reservations (order_id, status, expires_at, items)
    values (${r.orderId}, ${r.status}, ${r.expiresAt}, ${JSON.stringify(r.items)}::text::jsonb)
    on conflict (order_id) do nothing
    returning order_id`;
  return rows.length === 1;
}

/** Moves a reservation out of 'reserved'; undefined unless it was 'reserved' (so each happens once). */
export async function finishReservation(
  tx: Tx,
  orderId: string,
  status: 'committed' | 'released',
): Promise<Line[] | undefined> {
  const [row] = await tx<{ items: Line[] }[]>`
    update reservations set status = ${status}, updated_at = now()
    where order_id = ${orderId} and status = 'reserved'
    returning items`;
  return row?.items;
}

/** Claims up to `limit` expired reservations (skipping rows other transactions hold) and marks them expired. */
export async function expireDue(tx: Tx, limit: number): Promise<{ orderId: string; items: Line[] }[]> {
  return tx<{ orderId: string; items: Line[] }[]>`
    update reservations set status = 'expired', updated_at = now()
    where order_id in (
      select order_id from reservations
      where status = 'reserved' and expires_at <= now()
      order by expires_at limit ${limit}
      for update skip locked)
    returning order_id as "orderId", items`;
}

/**
 * Moves every line's quantity between columns in one statement. `lines` are merged (one per product):
 * a product listed twice would be updated once. The rows are locked in productId order first, so
 * concurrent steps over the same products never deadlock. Returns the new levels in productId order.
 */
async function moveStock(tx: Tx, lines: readonly Line[], change: postgres.PendingQuery<postgres.Row[]>, guard: postgres.PendingQuery<postgres.Row[]>): Promise<StockLevel[]> {
  if (lines.length === 0) return [];
  const rows = await tx<StockLevel[]>`
    with locked as materialized (
      select s.product_id, l.quantity
      from stock s join jsonb_to_recordset(${JSON.stringify(lines)}::text::jsonb) as l("productId" uuid, quantity int)
        on s.product_id = l."productId"
      order by s.product_id
      for update of s)
    update stock s set ${change}, updated_at = now()
    from locked where s.product_id = locked.product_id ${guard}
    returning s.product_id as "productId", s.available, s.reserved`;
  return rows.sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
}

/**
 * available -> reserved. The WHERE guard makes overselling impossible even without the row lock: a
 * line it refuses is missing from the result.
 */
export function reserveStock(tx: Tx, lines: readonly Line[]): Promise<StockLevel[]> {
  return moveStock(tx, lines, tx`available = s.available - locked.quantity, reserved = s.reserved + locked.quantity`, tx`and s.available >= locked.quantity`);
}

/** reserved -> sold. */
export function commitStock(tx: Tx, lines: readonly Line[]): Promise<StockLevel[]> {
  return moveStock(tx, lines, tx`reserved = s.reserved - locked.quantity`, tx``);
}

/** reserved -> available. */
export function releaseStock(tx: Tx, lines: readonly Line[]): Promise<StockLevel[]> {
  return moveStock(tx, lines, tx`available = s.available + locked.quantity, reserved = s.reserved - locked.quantity`, tx``);
}

export async function setAvailable(tx: Tx, productId: string, available: number): Promise<StockLevel> {
  const [row] = await tx<StockLevel[]>`
    insert into stock (product_id, available, reserved) values (${productId}, ${available}, 0)
    on conflict (product_id) do update set available = excluded.available, updated_at = now()
    returning product_id as "productId", available, reserved`;
  return row;
}

export async function countActiveReservations(db: Db): Promise<number> {
  const [row] = await db<{ n: number }[]>`select count(*)::int as n from reservations where status = 'reserved'`;
  return row.n;
}
