import { Type, type Static } from 'typebox';
import { Currency, MinorUnits, Timestamp, Uuid } from './common.ts';
import { event } from '@meridian/messaging';
import { CatalogProductsTopic } from '../topics.ts';

/** Topic `catalog.products`, key = productId. Created/Updated carry the full product (state transfer). */
export const ProductSnapshotV1 = Type.Object({
  productId: Uuid,
  sku: Type.String({ minLength: 1, maxLength: 64 }),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.String({ maxLength: 5000 }),
  category: Type.String({ minLength: 1, maxLength: 100 }),
  priceCents: MinorUnits,
  currency: Currency,
  active: Type.Boolean(),
  updatedAt: Timestamp,
});
export type ProductSnapshotV1 = Static<typeof ProductSnapshotV1>;

export const ProductCreatedV1 = ProductSnapshotV1;
export const ProductUpdatedV1 = ProductSnapshotV1;
export const ProductDeactivatedV1 = Type.Object({ productId: Uuid, deactivatedAt: Timestamp });
export type ProductDeactivatedV1 = Static<typeof ProductDeactivatedV1>;

export const ProductCreated = event({ topic: CatalogProductsTopic, type: 'ProductCreated', versions: { 1: ProductCreatedV1 } });
export const ProductUpdated = event({ topic: CatalogProductsTopic, type: 'ProductUpdated', versions: { 1: ProductUpdatedV1 } });
export const ProductDeactivated = event({ topic: CatalogProductsTopic, type: 'ProductDeactivated', versions: { 1: ProductDeactivatedV1 } });
