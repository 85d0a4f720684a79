import { latestVersion, topics } from '@meridian/contracts';
import type { TransactionSql } from 'postgres';
import { toSnapshot, type Product } from '../domain/product.ts';

/** The part of the messaging outbox the catalog uses. */
export interface Outbox {
  add(tx: TransactionSql, event: { topic: string; type: string; version: number; key: string; data: unknown }): Promise<unknown>;
}

function add(outbox: Outbox, tx: TransactionSql, type: string, productId: string, data: unknown) {
  return outbox.add(tx, { topic: topics.catalogProducts, type, version: latestVersion(type), key: productId, data });
}

export function publishProductCreated(outbox: Outbox, tx: TransactionSql, product: Product) {
  return add(outbox, tx, 'ProductCreated', product.id, toSnapshot(product));
}

export function publishProductUpdated(outbox: Outbox, tx: TransactionSql, product: Product) {
  return add(outbox, tx, 'ProductUpdated', product.id, toSnapshot(product));
}

export function publishProductDeactivated(outbox: Outbox, tx: TransactionSql, product: Product) {
  return add(outbox, tx, 'ProductDeactivated', product.id, { productId: product.id, deactivatedAt: product.updatedAt });
}
