import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Static } from 'typebox';
import { problem } from '@meridian/http';
import { createProduct, patchProduct, type CatalogDeps } from '../commands.ts';
import { decodeCursor, encodeCursor } from '../domain/cursor.ts';
import { fromV2, toV1, toV2, type NewProduct, type Product, type ProductPatch } from '../domain/product.ts';
import { findProduct, listProducts, type ProductQuery } from '../db/products.ts';
import type { ProductCache } from '../productCache.ts';
import { optionalCaller, type RouteAuth } from './auth.ts';
import {
  CreateProductBodyV1,
  CreateProductBodyV2,
  PatchProductBodyV1,
  PatchProductBodyV2,
  Problem,
  ProductIdParams,
  ProductListQuery,
  ProductV1,
  ProductV2,
  productPage,
} from './schemas.ts';

export interface ProductRoutesDeps extends CatalogDeps {
  auth: RouteAuth;
  cache: ProductCache;
}

/** API v1 is deprecated in favour of v2 (RFC 9745 `Deprecation`, RFC 8594 `Sunset`). */
export const v1Deprecation = {
  deprecatedAt: new Date('2026-11-01T00:00:00Z'),
  sunsetAt: new Date('2027-06-30T00:00:00Z'),
};

const deprecationHeaders = {
  deprecation: `@${Math.floor(v1Deprecation.deprecatedAt.getTime() / 1000)}`,
  sunset: v1Deprecation.sunsetAt.toUTCString(),
  link: '</api/v2/products>; rel="successor-version"',
};

function markDeprecated(_request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  reply.headers(deprecationHeaders);
  done();
}

const defaultLimit = 20;

export function registerProductRoutes(server: FastifyInstance, deps: ProductRoutesDeps): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { auth, cache } = deps;

  async function readPage(request: FastifyRequest, raw: Static<typeof ProductListQuery>) {
    const includeInactive = raw.includeInactive ?? false;
    if (includeInactive) {
      const caller = await auth.authenticate(request);
      if (caller.role !== 'staff') throw problem(403, 'forbidden', 'includeInactive=true is for staff only');
    }
    const after = raw.cursor === undefined ? undefined : decodeCursor(raw.cursor);
    if (raw.cursor !== undefined && !after) throw problem(400, 'invalid-cursor', 'cursor is not a value returned as nextCursor');
    const query: ProductQuery = {
      q: raw.q,
      category: raw.category,
      includeInactive,
      after,
      limit: raw.limit ?? defaultLimit,
    };
    const page = await cache.page(query, () => listProducts(deps.sql, query));
    const last = page.items.at(-1);
    return { items: page.items, nextCursor: page.hasMore && last ? encodeCursor(last) : null };
  }

  /** A product by id; an inactive one only for staff (404 for everybody else, like an unknown id). */
  async function readOne(request: FastifyRequest, id: string): Promise<Product> {
    const product = await cache.product(id, async () => (await findProduct(deps.sql, id)) ?? null);
    const visible = product && (product.active || (await optionalCaller(auth, request))?.role === 'staff');
    if (!visible) throw problem(404, 'not-found', `product ${id} not found`);
    return product;
  }

  const errors = { 400: Problem, 401: Problem, 403: Problem };
  const tags = ['products'];

  for (const version of ['v1', 'v2'] as const) {
    const v1 = version === 'v1';
    const Item = v1 ? ProductV1 : ProductV2;
    const present = v1 ? toV1 : toV2;
    const onRequest = v1 ? markDeprecated : undefined;

    app.get(`/api/${version}/products`, {
      onRequest,
      schema: {
        tags,
        summary: `Search and list products (${version})`,
        description: 'Active products in name order with keyset cursor paging; staff may add includeInactive=true.',
        deprecated: v1,
        querystring: ProductListQuery,
        response: { 200: productPage(Item), ...errors },
      },
      handler: async (request) => {
        const page = await readPage(request, request.query);
        return { items: page.items.map((product) => present(product)), nextCursor: page.nextCursor };
      },
    });

    app.get(`/api/${version}/products/:id`, {
      onRequest,
      schema: {
        tags,
        summary: `Get a product (${version})`,
        description: 'One product by id, from the Redis cache when it holds it. An inactive product is 404 for everyone but staff.',
        deprecated: v1,
        params: ProductIdParams,
        response: { 200: Item, 404: Problem, ...errors },
      },
      handler: async (request) => present(await readOne(request, request.params.id)),
    });

    app.post(`/api/${version}/products`, {
      onRequest,
      preHandler: auth.requireStaff,
      schema: {
        tags,
        summary: `Create a product (staff, ${version})`,
        description:
          'Staff only (bearer token of a staff account). The sku is unique; the currency is an ISO 4217 code in use (XYZ is refused); ' +
          'a category is the same whatever its case, shown as first spelled. Text over its limit is refused with the limit named, never cut. ' +
          'Publishes ProductCreated; inventory starts the product at 0 units.',
        deprecated: v1,
        body: v1 ? CreateProductBodyV1 : CreateProductBodyV2,
        response: { 201: Item, 409: Problem, ...errors },
      },
      handler: async (request, reply) => {
        const input = v1 ? (request.body as NewProduct) : fromV2<NewProduct>(request.body as never);
        const result = await createProduct(deps, input);
        if ('skuTaken' in result) throw problem(409, 'sku-taken', `sku ${input.sku} is already used by another product`);
        reply.code(201).header('location', `/api/${version}/products/${result.created.id}`);
        return present(result.created);
      },
    });

    app.patch(`/api/${version}/products/:id`, {
      onRequest,
      preHandler: auth.requireStaff,
      schema: {
        tags,
        summary: `Update a product partially (staff, ${version}); active=false deactivates it`,
        description: 'Staff only. Send only the fields that change (at least one; the sku cannot change). Publishes ProductUpdated, or ProductDeactivated when active becomes false.',
        deprecated: v1,
        params: ProductIdParams,
        body: v1 ? PatchProductBodyV1 : PatchProductBodyV2,
        response: { 200: Item, 404: Problem, ...errors },
      },
      handler: async (request) => {
        const patch = v1 ? (request.body as ProductPatch) : fromV2<ProductPatch>(request.body as never);
        const product = await patchProduct(deps, request.params.id, patch);
        if (!product) throw problem(404, 'not-found', `product ${request.params.id} not found`);
        return present(product);
      },
    });
  }
}
