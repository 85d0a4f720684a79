import { Type } from 'typebox';

const Uuid = Type.String({ format: 'uuid' });
const Status = Type.Union([Type.Literal('PENDING'), Type.Literal('CONFIRMED'), Type.Literal('CANCELLED')]);

export const PlaceOrderBody = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        { productId: Uuid, quantity: Type.Integer({ minimum: 1, maximum: 1000 }) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50 },
    ),
    paymentToken: Type.String({ minLength: 1, maxLength: 100 }),
  },
  { additionalProperties: false },
);

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.String({ minLength: 1, maxLength: 200 }),
});

export const Accepted = Type.Object({ id: Uuid, status: Type.Literal('PENDING') });

export const OrderItem = Type.Object({
  productId: Uuid,
  sku: Type.String(),
  name: Type.String(),
  quantity: Type.Integer(),
  unitPriceCents: Type.Integer(),
  lineTotalCents: Type.Integer(),
});

export const HistoryEntry = Type.Object({
  eventId: Uuid,
  type: Type.String(),
  version: Type.Integer(),
  source: Type.String(),
  direction: Type.Union([Type.Literal('in'), Type.Literal('out')]),
  outcome: Type.Union([Type.Literal('applied'), Type.Literal('recorded'), Type.Literal('ignored')]),
  note: Type.Optional(Type.String()),
  data: Type.Unknown(),
  recordedAt: Type.String({ format: 'date-time' }),
});

export const Order = Type.Object({
  id: Uuid,
  customerId: Uuid,
  status: Status,
  reason: Type.Optional(Type.String()),
  items: Type.Array(OrderItem),
  totalCents: Type.Integer(),
  currency: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

/** What staff see of an order: also the trace id of the request that placed it (absent on orders older than it). */
export const StaffOrder = Type.Object({
  ...Order.properties,
  traceId: Type.Optional(Type.String({ pattern: '^[0-9a-f]{32}$', description: 'W3C trace id of the placing request; search the logs by it' })),
});

export const OrderWithHistory = Type.Object({ ...StaffOrder.properties, history: Type.Array(HistoryEntry) });

const NextCursor = Type.Union([Type.String(), Type.Null()]);
export const OrderPage = Type.Object({ items: Type.Array(Order), nextCursor: NextCursor });
export const StaffOrderPage = Type.Object({ items: Type.Array(StaffOrder), nextCursor: NextCursor });

export const IdParams = Type.Object({ id: Uuid });

const Paging = {
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
};

export const OwnOrdersQuery = Type.Object(Paging, { additionalProperties: false });

export const AdminOrdersQuery = Type.Object(
  {
    status: Type.Optional(Status),
    customerId: Type.Optional(Uuid),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    ...Paging,
  },
  { additionalProperties: false },
);

/** RFC 9457 problem document, as `@meridian/http` renders every error. */
export { Problem } from '@meridian/http';
