import { Type } from 'typebox';

const Uuid = Type.String({ format: 'uuid' });
const Timestamp = Type.String({ format: 'date-time' });
const Sku = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'Stock keeping unit, unique' });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Description = Type.String({ maxLength: 5000 });
const Category = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S', description: 'Unique regardless of case: the first spelling given is the one shown', examples: ['Kitchen'] });
const PriceCents = Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'Price in minor units' });
const Currency = Type.String({ format: 'currency', minLength: 3, maxLength: 3, description: 'ISO 4217 currency code in use, e.g. EUR (XYZ is refused)', examples: ['EUR'] });

export const ProductIdParams = Type.Object({ id: Uuid });

export const ProductV1 = Type.Object({
  id: Uuid,
  sku: Type.String(),
  name: Type.String(),
  description: Type.String(),
  category: Type.String(),
  priceCents: Type.Integer(),
  currency: Type.String(),
  active: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const ProductV2 = Type.Object({
  id: Uuid,
  sku: Type.String(),
  name: Type.String(),
  description: Type.String(),
  category: Type.String(),
  price: Type.Object({ amount: Type.Integer({ description: 'Minor units' }), currency: Type.String() }),
  active: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const ProductListQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Matches name, description or sku (case-insensitive)' })),
    category: Type.Optional(Category),
    cursor: Type.Optional(Type.String({ maxLength: 1000, description: 'Opaque `nextCursor` of the previous page' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    includeInactive: Type.Optional(Type.Boolean({ default: false, description: 'Staff only' })),
  },
  { additionalProperties: false },
);

export const productPage = <T extends typeof ProductV1 | typeof ProductV2>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const CreateProductBodyV1 = Type.Object(
  {
    sku: Sku,
    name: Name,
    description: Type.Optional(Description),
    category: Category,
    priceCents: PriceCents,
    currency: Type.Optional(Currency),
  },
  { additionalProperties: false },
);

export const PatchProductBodyV1 = Type.Object(
  {
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    category: Type.Optional(Category),
    priceCents: Type.Optional(PriceCents),
    currency: Type.Optional(Currency),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

const Price = Type.Object(
  { amount: PriceCents, currency: Currency },
  { additionalProperties: false, description: 'Price in minor units' },
);

export const CreateProductBodyV2 = Type.Object(
  {
    sku: Sku,
    name: Name,
    description: Type.Optional(Description),
    category: Category,
    price: Price,
  },
  { additionalProperties: false },
);

export const PatchProductBodyV2 = Type.Object(
  {
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    category: Type.Optional(Category),
    price: Type.Optional(Price),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const CategoryList = Type.Object({
  items: Type.Array(Type.Object({ name: Type.String(), count: Type.Integer() })),
});

/** RFC 9457 problem document, as `@meridian/http` renders every error. */
export { Problem } from '@meridian/http';
