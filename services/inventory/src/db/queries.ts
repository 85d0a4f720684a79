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

/** available -> reserved; the WHERE guard makes overselling impossible even without the row lock. */
export async function reserveStock(tx: Tx, line: Line): Promise<StockLevel | undefined> {
  const [row] = await tx<StockLevel[]>`
    update stock set available = available - ${line.quantity}, reserved = reserved + ${line.quantity}, updated_at = now()
    where product_id = ${line.productId} and available >= ${line.quantity}
    returning product_id as "productId", available, reserved`;
  return row;
}

/** reserved -> sold. */
export async function commitStock(tx: Tx, line: Line): Promise<StockLevel> {
  const [row] = await tx<StockLevel[]>`
    update stock set reserved = reserved - ${line.quantity}, updated_at = now()
    where product_id = ${line.productId}
    returning product_id as "productId", available, reserved`;
  return row;
}

/** reserved -> available. */
export async function releaseStock(tx: Tx, line: Line): Promise<StockLevel> {
  const [row] = await tx<StockLevel[]>`
    update stock set available = available + ${line.quantity}, reserved = reserved - ${line.quantity}, updated_at = now()
    where product_id = ${line.productId}
    returning product_id as "productId", available, reserved`;
  return row;
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
