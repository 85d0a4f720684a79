import { Type, type Static } from 'typebox';
import { Currency, MinorUnits, Timestamp, Uuid } from './common.ts';

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
