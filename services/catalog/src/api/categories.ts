import type { FastifyInstance } from 'fastify';
import type { Sql } from 'postgres';
import { listCategories } from '../db/products.ts';
import { CategoryList } from './schemas.ts';

export function registerCategoryRoutes(app: FastifyInstance, sql: Sql): void {
  app.get('/api/v1/categories', {
    schema: {
      tags: ['products'],
      summary: 'Categories of active products with their product counts',
      description: 'Each category once, whatever the case it was typed in, under the spelling it was first given; public, no token needed.',
      response: { 200: CategoryList },
    },
    handler: async () => ({ items: await listCategories(sql) }),
  });
}
