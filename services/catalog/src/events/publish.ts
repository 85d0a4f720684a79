import { ProductCreated, ProductDeactivated, ProductUpdated } from '@meridian/contracts';
import type { Outbox } from '@meridian/messaging';
import type { TransactionSql } from 'postgres';
import { toSnapshot, type Product } from '../domain/product.ts';

/** The events the catalog publishes. */
export const catalogEvents = [ProductCreated, ProductUpdated, ProductDeactivated];

export function publishProductCreated(outbox: Outbox, tx: TransactionSql, product: Product) {
  return outbox.add(tx, ProductCreated.v1, product.id, toSnapshot(product));
}

export function publishProductUpdated(outbox: Outbox, tx: TransactionSql, product: Product) {
  return outbox.add(tx, ProductUpdated.v1, product.id, toSnapshot(product));
}

export function publishProductDeactivated(outbox: Outbox, tx: TransactionSql, product: Product) {
  return outbox.add(tx, ProductDeactivated.v1, product.id, { productId: product.id, deactivatedAt: product.updatedAt });
}
