/** HTTP API of the orders service: customer orders and the staff view. */
import type { FastifyRequest } from 'fastify';
import type { Sql } from 'postgres';
import type { AuthUser, AuthVerifier } from '@meridian/auth';
import { HttpProblem, type App } from '@meridian/http';
import { OrderRejection } from '../domain/order.ts';
import { decodeCursor, encodeCursor, type Cursor } from '../domain/cursor.ts';
import * as repo from '../db/repository.ts';
import type { Orders } from '../orders.ts';
import type { OrderAdmission } from '../admission.ts';
import {
  Accepted,
  AdminOrdersQuery,
  IdempotencyHeaders,
  IdParams,
  OrderPage,
  Order,
  OrderWithHistory,
  OwnOrdersQuery,
  PlaceOrderBody,
  Problem,
  StaffOrderPage,
} from './schemas.ts';

export function registerRoutes(
  app: App,
  deps: { sql: Sql; orders: Orders; auth: Pick<AuthVerifier, 'requireUser' | 'requireStaff'>; admission?: OrderAdmission },
): void {
  const { sql, orders, auth, admission } = deps;

  app.post(
    '/api/v1/orders',
    {
      // Refused before the body is read, validated or its token checked: a refusal under load stays cheap.
      onRequest: async () => admission?.admit(),
      preHandler: auth.requireUser,
      schema: {
        tags: ['orders'],
        summary: 'Place an order (asynchronous; poll the order for its outcome)',
        description:
          'Requires an Idempotency-Key: replaying the same key with the same body returns the same order; ' +
          'a different body is a 409. Duplicate productIds are merged. While too many orders are in progress ' +
          'a new one is refused with 503 `overloaded` and a Retry-After header (nothing is stored: send it again later). ' +
          'The order is PENDING until stock is reserved and the payment authorized (CONFIRMED) or either fails (CANCELLED with a reason). ' +
          'Test payment tokens: `tok_visa` and `tok_mastercard` pay; `tok_decline` (card_declined) and `tok_insufficient_funds` are declined; ' +
          '`tok_timeout` gets no answer from the provider (provider_timeout: nothing charged, try again); any other token is declined as `unknown_token`.',
        headers: IdempotencyHeaders,
        body: PlaceOrderBody,
        response: { 202: Accepted, 400: Problem, 401: Problem, 409: Problem, 422: Problem, 503: Problem },
      },
    },
    async (request, reply) => {
      const user = userOf(request);
      try {
        const result = await orders.placeOrder(
          { id: user.sub, email: user.email },
          { ...request.body, idempotencyKey: request.headers['idempotency-key'] },
        );
        if (result.kind === 'key-reused') {
          throw new HttpProblem(409, 'idempotency-key-reused', 'This Idempotency-Key was used with a different request');
        }
        if (result.kind === 'replayed') reply.header('idempotent-replayed', 'true');
        reply.header('location', `/api/v1/orders/${result.id}`);
        return reply.code(202).send({ id: result.id, status: 'PENDING' as const });
      } catch (err) {
        if (err instanceof OrderRejection) {
          throw new HttpProblem(422, err.code, err.message, err.productIds.length ? { productIds: err.productIds } : undefined);
        }
        throw err;
      }
    },
  );

  app.get(
    '/api/v1/orders',
    {
      preHandler: auth.requireUser,
      schema: {
        tags: ['orders'],
        summary: "The caller's orders, newest first",
        description: 'Only the orders of the bearer token’s account, with keyset cursor paging (`nextCursor`).',
        querystring: OwnOrdersQuery, response: { 200: OrderPage, 400: Problem, 401: Problem } },
    },
    async (request) => {
      const { cursor, limit = 20 } = request.query;
      return page(await repo.listOrders(sql, { customerId: userOf(request).sub, cursor: parseCursor(cursor), limit: limit + 1 }), limit, toApi);
    },
  );

  app.get(
    '/api/v1/orders/:id',
    {
      preHandler: auth.requireUser,
      schema: {
        tags: ['orders'],
        summary: 'One of the caller’s orders',
        description: 'Its status (PENDING, CONFIRMED or CANCELLED with a reason) and lines. Another account’s order is 404, as if it did not exist.',
        params: IdParams, response: { 200: Order, 401: Problem, 404: Problem } },
    },
    async (request) => {
      const order = await repo.getOrder(sql, request.params.id);
      // Another customer's order is reported exactly like a missing one.
      if (!order || order.customerId !== userOf(request).sub) throw notFound(request.params.id);
      return toApi(order);
    },
  );

  app.get(
    '/api/v1/admin/orders',
    {
      preHandler: auth.requireStaff,
      schema: {
        tags: ['admin'],
        summary: 'Search all orders (staff)',
        description: 'Staff only. Filter by status, customer or time range; newest first with keyset cursor paging.',
        querystring: AdminOrdersQuery, response: { 200: StaffOrderPage, 400: Problem, 401: Problem, 403: Problem } },
    },
    async (request) => {
      const { cursor, limit = 20, ...filter } = request.query;
      return page(await repo.listOrders(sql, { ...filter, cursor: parseCursor(cursor), limit: limit + 1 }), limit, toStaffApi);
    },
  );

  app.get(
    '/api/v1/admin/orders/:id',
    {
      preHandler: auth.requireStaff,
      schema: {
        tags: ['admin'],
        summary: 'An order with every saga event it saw (staff)',
        description: 'Staff only. The order and its saga history (stock reserved or refused, payment authorized or declined…) in the order events arrived.',
        params: IdParams,
        response: { 200: OrderWithHistory, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request) => {
      const order = await repo.getOrder(sql, request.params.id);
      if (!order) throw notFound(request.params.id);
      const history = await repo.orderHistory(sql, order.id);
      return {
        ...toStaffApi(order),
        history: history.map((h) => ({
          eventId: h.eventId,
          type: h.type,
          version: h.version,
          source: h.source,
          direction: h.direction,
          outcome: h.outcome,
          ...(h.note ? { note: h.note } : {}),
          data: h.data,
          recordedAt: h.recordedAt.toISOString(),
        })),
      };
    },
  );
}

/** The caller, set by `requireUser` / `requireStaff`. */
function userOf(request: FastifyRequest): AuthUser {
  return request.user!;
}

function notFound(id: string): HttpProblem {
  return new HttpProblem(404, 'not-found', `Order ${id} not found`);
}

function parseCursor(raw: string | undefined): Cursor | undefined {
  if (raw === undefined) return undefined;
  const cursor = decodeCursor(raw);
  if (!cursor) {
    throw new HttpProblem(400, 'validation-failed', 'Invalid cursor', { errors: [{ field: 'cursor', message: 'is not a valid cursor' }] });
  }
  return cursor;
}

/** `rows` holds up to limit + 1 orders; the extra one only tells that another page exists. */
function page<T>(rows: repo.OrderView[], limit: number, view: (o: repo.OrderView) => T) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(view),
    nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt.toISOString(), id: last.id }) : null,
  };
}

function toApi(o: repo.OrderView) {
  return {
    id: o.id,
    customerId: o.customerId,
    status: o.status,
    ...(o.reason ? { reason: o.reason } : {}),
    items: o.items,
    totalCents: o.totalCents,
    currency: o.currency,
    createdAt: o.createdAt.toISOString(),
    updatedAt: o.updatedAt.toISOString(),
  };
}

function toStaffApi(o: repo.OrderView) {
  return { ...toApi(o), ...(o.traceId ? { traceId: o.traceId } : {}) };
}
