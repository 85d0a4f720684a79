import { Type } from 'typebox';
import { type App, problem, Problem, uuidPattern as uuid } from '@meridian/http';
import type { AuthVerifier } from '@meridian/auth';
import type postgres from 'postgres';
import * as q from '../db/queries.ts';
import type { Inventory } from '../inventory.ts';

const ProductId = Type.String({ format: 'uuid', description: 'Catalog product id' });
const StockLevel = Type.Object({
  productId: ProductId,
  available: Type.Integer({ minimum: 0, description: 'Units that can be reserved' }),
  reserved: Type.Integer({ minimum: 0, description: 'Units held by pending orders' }),
});
const maxBatch = 100;

export function inventoryRoutes(app: App, deps: { sql: postgres.Sql; inventory: Inventory; auth: AuthVerifier }) {
  const { sql, inventory, auth } = deps;

  app.get(
    '/api/v1/inventory/:productId',
    {
      schema: {
        tags: ['inventory'],
        summary: 'Stock level of one product',
        description: '404 for a product that was never stocked.',
        params: Type.Object({ productId: ProductId }),
        response: { 200: StockLevel, 404: Problem },
      },
    },
    async (request) => {
      const level = await q.getStock(sql, request.params.productId);
      if (!level) throw problem(404, 'not-found', `No stock recorded for product ${request.params.productId}`);
      return level;
    },
  );

  app.get(
    '/api/v1/inventory',
    {
      schema: {
        tags: ['inventory'],
        summary: 'Stock levels of several products',
        description: `Products never stocked are left out. At most ${maxBatch} ids.`,
        querystring: Type.Object({
          productIds: Type.String({
            // Strict uuids: anything looser reaches PostgreSQL's uuid cast and fails there.
            pattern: `^${uuid}(,${uuid})*$`,
            description: 'Comma-separated product ids',
          }),
        }),
        response: { 200: Type.Object({ items: Type.Array(StockLevel) }), 400: Problem },
      },
    },
    async (request) => {
      const ids = [...new Set(request.query.productIds.split(','))];
      if (ids.length > maxBatch) {
        throw problem(400, 'validation-failed', `At most ${maxBatch} product ids`, {
          errors: [{ field: 'productIds', message: `must list at most ${maxBatch} ids` }],
        });
      }
      return { items: await q.getStocks(sql, ids) };
    },
  );

  app.put(
    '/api/v1/inventory/:productId',
    {
      preHandler: auth.requireStaff,
      schema: {
        tags: ['inventory'],
        summary: 'Set the available stock of a product (staff)',
        description: 'Sets the units available for new reservations; units already reserved are unchanged.',
        params: Type.Object({ productId: ProductId }),
        body: Type.Object({ available: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }) }, { additionalProperties: false }),
        response: { 200: StockLevel, 400: Problem, 401: Problem, 403: Problem },
      },
    },
    async (request) => inventory.setAvailable(sql, request.params.productId, request.body.available),
  );
}
