/** HTTP API of the notifications service. */
import type { Sql } from 'postgres';
import { Type } from 'typebox';
import type { AuthVerifier } from '@meridian/auth';
import { type App, HttpProblem, Problem } from '@meridian/http';
import { decodeCursor, encodeCursor } from '../domain/cursor.ts';
import * as repo from '../db/repository.ts';

const Uuid = Type.String({ format: 'uuid' });

const Notification = Type.Object({
  id: Uuid,
  orderId: Uuid,
  customerId: Uuid,
  channel: Type.Literal('email'),
  recipient: Type.String(),
  template: Type.Union([Type.Literal('order-confirmed'), Type.Literal('order-cancelled')]),
  subject: Type.String(),
  body: Type.String(),
  sourceEventId: Uuid,
  createdAt: Type.String({ format: 'date-time' }),
});


const Query = Type.Object(
  {
    orderId: Type.Optional(Uuid),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  },
  { additionalProperties: false },
);

export function registerRoutes(app: App, deps: { sql: Sql; requireUser: AuthVerifier['requireUser'] }): void {
  app.get(
    '/api/v1/notifications',
    {
      preHandler: deps.requireUser,
      schema: {
        tags: ['notifications'],
        summary: 'Notifications, newest first (staff: all; customers: their own)',
        description: 'What was sent to customers about their orders (confirmation, cancellation with its reason), with keyset cursor paging.',
        querystring: Query,
        response: {
          200: Type.Object({ items: Type.Array(Notification), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
          400: Problem,
          401: Problem,
        },
      },
    },
    async (request) => {
      const user = request.user!; // set by requireUser
      const { orderId, cursor: rawCursor, limit = 20 } = request.query;
      const cursor = rawCursor === undefined ? undefined : decodeCursor(rawCursor);
      if (rawCursor !== undefined && !cursor) {
        throw new HttpProblem(400, 'validation-failed', 'Invalid cursor', { errors: [{ field: 'cursor', message: 'is not a valid cursor' }] });
      }
      const rows = await repo.listNotifications(deps.sql, {
        orderId,
        customerId: user.role === 'staff' ? undefined : user.sub,
        cursor,
        limit: limit + 1,
      });
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return {
        items: items.map((n) => ({ ...n, createdAt: n.createdAt.toISOString() })),
        nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt.toISOString(), id: last.id }) : null,
      };
    },
  );
}
