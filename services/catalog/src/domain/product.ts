import type { ProductSnapshotV1 } from '@meridian/contracts';

export interface Product {
  id: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  priceCents: number;
  currency: string;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface NewProduct {
  sku: string;
  name: string;
  description?: string;
  category: string;
  priceCents: number;
  currency?: string;
}

export type ProductPatch = Partial<Pick<Product, 'name' | 'description' | 'category' | 'priceCents' | 'currency' | 'active'>>;

export const defaultCurrency = 'EUR';

const patchableFields = ['name', 'description', 'category', 'priceCents', 'currency', 'active'] as const;

/** The fields of `patch` that differ from `product` (an empty object means nothing changes). */
export function changedFields(product: Product, patch: ProductPatch): ProductPatch {
  const changes: Record<string, unknown> = {};
  for (const field of patchableFields) {
    const value = patch[field];
    if (value !== undefined && value !== product[field]) changes[field] = value;
  }
  return changes as ProductPatch;
}

/** Full-state snapshot carried by `ProductCreated` / `ProductUpdated`. */
export function toSnapshot(product: Product): ProductSnapshotV1 {
  return {
    productId: product.id,
    sku: product.sku,
    name: product.name,
    description: product.description,
    category: product.category,
    priceCents: product.priceCents,
    currency: product.currency,
    active: product.active,
    updatedAt: product.updatedAt,
  };
}

export interface Price {
  amount: number;
  currency: string;
}

/** API v1 representation: flat `priceCents` + `currency` (the domain shape itself). */
export function toV1(product: Product): Product {
  return product;
}

/** API v2 representation: `price: { amount, currency }` in minor units. */
export function toV2(product: Product) {
  const { priceCents, currency, ...rest } = product;
  return { ...rest, price: { amount: priceCents, currency } };
}

type V2Input<T> = Omit<T, 'priceCents' | 'currency'> & { price?: Price };

/** A v2 request body (`price` object) in domain terms (flat `priceCents` + `currency`). */
export function fromV2<T extends { priceCents?: number; currency?: string }>(body: V2Input<T>): T {
  const { price, ...rest } = body;
  return (price ? { ...rest, priceCents: price.amount, currency: price.currency } : rest) as T;
}
