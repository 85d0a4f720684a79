import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import * as db from './db/products.ts';
import { changedFields, defaultCurrency, type NewProduct, type Product, type ProductPatch } from './domain/product.ts';
import type { Outbox } from '@meridian/messaging';
import { publishProductCreated, publishProductDeactivated, publishProductUpdated } from './events/publish.ts';

export interface CatalogDeps {
  sql: Sql;
  outbox: Outbox;
}

export type CreateResult = { created: Product } | { skuTaken: true };

/** Creates a product and its `ProductCreated` event in one transaction. */
export async function createProduct({ sql, outbox }: CatalogDeps, input: NewProduct): Promise<CreateResult> {
  return sql.begin(async (tx) => {
    const product = await db.insertProduct(tx, {
      id: randomUUID(),
      sku: input.sku,
      name: input.name,
      description: input.description ?? '',
      category: await db.canonicalCategory(tx, input.category),
      priceCents: input.priceCents,
      currency: input.currency ?? defaultCurrency,
      active: true,
    });
    if (!product) return { skuTaken: true as const };
    await publishProductCreated(outbox, tx, product);
    return { created: product };
  });
}

/**
 * Applies a partial update. Any change emits `ProductUpdated` (full snapshot); a change of
 * `active` from true to false also emits `ProductDeactivated`. Undefined when the product is unknown.
 */
export async function patchProduct({ sql, outbox }: CatalogDeps, id: string, patch: ProductPatch): Promise<Product | undefined> {
  return sql.begin(async (tx) => {
    const current = await db.findProduct(tx, id, { forUpdate: true });
    if (!current) return undefined;
    const changes = changedFields(current, patch.category === undefined ? patch : { ...patch, category: await db.canonicalCategory(tx, patch.category) });
    if (Object.keys(changes).length === 0) return current;
    const updated = await db.updateProduct(tx, id, changes);
    await publishProductUpdated(outbox, tx, updated);
    if (current.active && !updated.active) await publishProductDeactivated(outbox, tx, updated);
    return updated;
  });
}
