import { Problem } from '@meridian/http';
import { Type, type TSchema } from 'typebox';
import type { App } from '@meridian/http';
import type { AuthVerifier } from '@meridian/auth';
import type postgres from 'postgres';
import { paymentsForOrder, type Payment } from '../db/queries.ts';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const PaymentView = Type.Object({
  paymentId: Type.String({ format: 'uuid' }),
  orderId: Type.String({ format: 'uuid' }),
  status: Type.Union([Type.Literal('pending'), Type.Literal('authorized'), Type.Literal('declined')]),
  reason: Nullable(Type.String({ description: 'Why the payment was declined' })),
  amountCents: Nullable(Type.Integer({ minimum: 0, description: 'Minor units; null until the order is known' })),
  currency: Nullable(Type.String()),
  attempts: Type.Integer({ minimum: 0, description: 'Provider calls made' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

function view(p: Payment) {
  return {
    paymentId: p.paymentId,
    orderId: p.orderId,
    status: p.status,
    reason: p.reason,
    amountCents: p.amountCents,
    currency: p.currency,
    attempts: p.attempts,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

export function paymentRoutes(app: App, deps: { sql: postgres.Sql; auth: AuthVerifier }) {
  const { sql, auth } = deps;

  app.get(
    '/api/v1/payments',
    {
      preHandler: auth.requireUser,
      schema: {
        tags: ['payments'],
        summary: "An order's payments",
        description:
          "Staff see any order's payments; a customer only their own (others' orders give an empty list). Payments are made by the order saga, " +
          'not by this API: the token given at checkout decides (tok_visa, tok_mastercard pay; tok_decline, tok_insufficient_funds are declined; ' +
          'tok_timeout times out at the provider; any other is declined as unknown_token).',
        querystring: Type.Object({ orderId: Type.String({ format: 'uuid' }) }),
        response: { 200: Type.Object({ items: Type.Array(PaymentView) }), 400: Problem, 401: Problem },
      },
    },
    async (request) => {
      const user = request.user!;
      const payments = await paymentsForOrder(sql, request.query.orderId);
      const visible = user.role === 'staff' ? payments : payments.filter((p) => p.customerId === user.sub);
      return { items: visible.map(view) };
    },
  );
}
