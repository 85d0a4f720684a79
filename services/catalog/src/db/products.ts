import type { Sql, TransactionSql } from 'postgres';
import type { Cursor } from '../domain/cursor.ts';
import type { Product, ProductPatch } from '../domain/product.ts';

type Db = Sql | TransactionSql;

interface ProductRow {
  id: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  price_cents: number;
  currency: string;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

function toProduct(row: ProductRow): Product {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    category: row.category,
    priceCents: row.price_cents,
    currency: row.currency,
    active: row.active,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Inserts the product; undefined when its sku is taken. */
export async function insertProduct(db: Db, p: Omit<Product, 'createdAt' | 'updatedAt'>): Promise<Product | undefined> {
  const rows = await db<ProductRow[]>`
    insert into products (id, sku, name, description, category, price_cents, currency, active)
    values (${p.id}, ${p.sku}, ${p.name}, ${p.description}, ${p.category}, ${p.priceCents}, ${p.currency}, ${p.active})
    on conflict (sku) do nothing
    returning *`;
  return rows[0] && toProduct(rows[0]);
}

/**
 * The display name of `category` regardless of case and surrounding spaces: the spelling it was
 * first given, registered now when it is new.
 */
export async function canonicalCategory(db: Db, category: string): Promise<string> {
  const name = category.trim();
  const rows = await db<{ name: string }[]>`
    insert into categories (key, name) values (${name.toLowerCase()}, ${name})
    on conflict (key) do update set key = excluded.key
    returning name`;
  return rows[0]!.name;
}

export async function findProduct(db: Db, id: string, { forUpdate = false } = {}): Promise<Product | undefined> {
  const rows = await db<ProductRow[]>`select * from products where id = ${id} ${forUpdate ? db`for update` : db``}`;
  return rows[0] && toProduct(rows[0]);
}

export async function findProductBySku(db: Db, sku: string): Promise<Product | undefined> {
  const rows = await db<ProductRow[]>`select * from products where sku = ${sku}`;
  return rows[0] && toProduct(rows[0]);
}

export async function updateProduct(db: Db, id: string, changes: ProductPatch): Promise<Product> {
  const columns = {
    ...(changes.name !== undefined && { name: changes.name }),
    ...(changes.description !== undefined && { description: changes.description }),
    ...(changes.category !== undefined && { category: changes.category }),
    ...(changes.priceCents !== undefined && { price_cents: changes.priceCents }),
    ...(changes.currency !== undefined && { currency: changes.currency }),
    ...(changes.active !== undefined && { active: changes.active }),
  };
  const rows = await db<ProductRow[]>`
    update products set ${db(columns)}, updated_at = now() where id = ${id} returning *`;
  return toProduct(rows[0]!);
}

export interface ProductQuery {
  q?: string;
  category?: string;
  includeInactive: boolean;
  after?: Cursor;
  limit: number;
}

function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** One page in (name, id) order, fetching one extra row to know whether more follow. */
export async function listProducts(db: Db, query: ProductQuery): Promise<{ items: Product[]; hasMore: boolean }> {
  const rows = await db<ProductRow[]>`
    select * from products
    where true
      ${query.includeInactive ? db`` : db`and active`}
      ${query.category !== undefined ? db`and category = coalesce((select name from categories where key = ${query.category.trim().toLowerCase()}), ${query.category})` : db``}
      ${query.q ? db`and (name || ' ' || description || ' ' || sku) ilike ${likePattern(query.q)}` : db``}
      ${query.after ? db`and (name, id) > (${query.after.name}, ${query.after.id}::uuid)` : db``}
    order by name, id
    limit ${query.limit + 1}`;
  return { items: rows.slice(0, query.limit).map(toProduct), hasMore: rows.length > query.limit };
}

export async function listCategories(db: Db): Promise<{ name: string; count: number }[]> {
  return db<{ name: string; count: number }[]>`
    select category as name, count(*)::int as count from products where active group by category order by category`;
}
