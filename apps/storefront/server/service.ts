import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Type } from 'typebox';
import { splitList } from '@meridian/config';
import { problem, uuidPattern as uuid } from '@meridian/http';
import type { ServiceDefinition } from '@meridian/service';
import { OrdersEventsTopic } from '@meridian/contracts';
import { InvalidEventError, physicalTopic } from '@meridian/messaging';
import { createLiveFeed, type LiveFeed } from '../../shared/server/liveFeed.ts';
import { createEventStreams, createHub } from '../../shared/server/sse.ts';
import { webAppService } from '../../shared/server/webApp.ts';
import { Availability, createAvailability, maxAvailabilityIds, type StockLevel } from './availability.ts';
import { CartBody, CartError, createCartStore, Cart } from './cart.ts';
import { isFinal, orderUpdateFrom, type OrderUpdate } from './orderEvents.ts';

const defaultDistDir = fileURLToPath(new URL('../dist/', import.meta.url));
const OrderIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const AvailabilityQuery = Type.Object(
  { productIds: Type.String({ pattern: `^${uuid}(,${uuid}){0,${maxAvailabilityIds - 1}}$`, description: `Comma-separated product ids, at most ${maxAvailabilityIds}` }) },
  { additionalProperties: false },
);

/**
 * The storefront's server: the built web app, `/api/*` proxied to the gateway, carts in Redis
 * (`/app-api/cart`), availability for product cards (`/app-api/availability`) and live order status
 * as server-sent events (`/app-api/orders/{id}/events`).
 */
export function storefrontService(options: { distDir?: string } = {}): ServiceDefinition {
  const updates = createHub<OrderUpdate>();
  let feed: LiveFeed | undefined;

  return webAppService({
    name: 'storefront',
    version: '1.0.0',
    description: 'Backend-for-frontend of the storefront web app',
    defaultPort: 3000,
    distDir: options.distDir ?? defaultDistDir,
    redis: true,
    routes(app, ctx) {
      const carts = createCartStore(ctx.redis!, { prefix: `${ctx.platform.MERIDIAN_NAMESPACE}:storefront` });
      const gateway = ctx.serviceClient('gateway');
      const streams = createEventStreams(app);
      const cartUnavailable = (err: unknown) => {
        if (err instanceof CartError) return problem(422, 'invalid-cart', err.message);
        ctx.logger.warn({ err }, 'cart store failed');
        return problem(503, 'cart-unavailable', 'Carts are unavailable right now; try again shortly');
      };
      const tags = ['cart'];
      const security = [{ bearerAuth: [] }];
      // Answers of the cart store: a cart it refuses (422), the store unreachable (503).
      const cartProblems = { 422: { description: 'Invalid cart (problem+json)' }, 503: { description: 'Carts unavailable (problem+json)' } };

      app.get('/app-api/cart', {
        preHandler: ctx.auth.requireUser,
        schema: { tags, security, summary: "The caller's cart", description: 'The signed-in customer\'s cart: product ids and quantities (prices are read from the catalog when shown).', response: { 200: Cart, ...cartProblems } },
        handler: (request) => carts.get(request.user!.sub).catch((err) => Promise.reject(cartUnavailable(err))),
      });
      app.put('/app-api/cart', {
        preHandler: ctx.auth.requireUser,
        schema: { tags, security, summary: "Replaces the caller's cart (lines of one product are merged)", description: 'Sends the whole cart. At most 50 products and 1,000 of one product; more is refused with 422 invalid-cart and the cart is unchanged.', body: CartBody, response: { 200: Cart, ...cartProblems } },
        handler: (request) => carts.put(request.user!.sub, request.body.items).catch((err) => Promise.reject(cartUnavailable(err))),
      });
      app.delete('/app-api/cart', {
        preHandler: ctx.auth.requireUser,
        schema: { tags, security, summary: "Empties the caller's cart", description: 'Removes every line, as checkout does once the order is placed.', response: { 204: { description: 'Emptied', type: 'null' }, ...cartProblems } },
        handler: async (request, reply) => {
          await carts.clear(request.user!.sub).catch((err) => Promise.reject(cartUnavailable(err)));
          return reply.code(204).send(null);
        },
      });

      const availability = createAvailability({
        async fetchLevels(productIds) {
          const response = await gateway.request(`/api/v1/inventory?productIds=${productIds.join(',')}`, { headers: { accept: 'application/json' } });
          if (!response.ok) throw new Error(`inventory answered ${response.status}`);
          return ((await response.json()) as { items: StockLevel[] }).items;
        },
      });
      app.get('/app-api/availability', {
        schema: {
          tags: ['catalog'],
          summary: 'Whether products can be ordered: in stock, only a few left, or out of stock',
          description:
            'For product cards and pages. Levels are reused for 3 s and read from inventory in one batch, so a busy catalog page costs ' +
            'inventory little; the reservation at checkout is what decides. A product never stocked is out of stock.',
          querystring: AvailabilityQuery,
          response: {
            200: Type.Object({ items: Type.Array(Availability) }),
            400: { description: 'Not a list of product ids (problem+json)' },
            503: { description: 'Inventory could not be asked (problem+json)' },
          },
        },
        handler: async (request, reply) => {
          const items = await availability.get(request.query.productIds.split(',')).catch((err) => {
            ctx.logger.warn({ err }, 'availability read failed');
            throw problem(503, 'availability-unavailable', 'Availability cannot be read right now; try again shortly');
          });
          reply.header('cache-control', 'public, max-age=3');
          return { items };
        },
      });

      app.get('/app-api/orders/:id/events', {
        preHandler: ctx.auth.requireUser,
        schema: {
          tags: ['orders'],
          security,
          summary: 'Server-sent events: `snapshot` (the order now), then `update` when it is confirmed or cancelled', description: 'The caller\'s order only (another\'s is 404). The stream ends when the order is CONFIRMED or CANCELLED; a reconnecting page gets a fresh snapshot.',
          params: OrderIdParams,
        },
        handler: async (request, reply) => {
          const orderId = request.params.id;
          // Follow Kafka (while anybody watches) and subscribe before reading the order, so an outcome
          // published in between is not lost.
          const release = await feed!.acquire();
          const early: OrderUpdate[] = [];
          let deliver = (update: OrderUpdate) => void early.push(update);
          const unsubscribeUpdates = updates.subscribe(orderId, (update) => deliver(update));
          const unsubscribe = () => {
            unsubscribeUpdates();
            release();
          };
          try {
            const response = await gateway.request(`/api/v1/orders/${orderId}`, {
              headers: { authorization: request.headers.authorization ?? '', accept: 'application/json' },
            });
            if (response.status === 404) throw problem(404, 'not-found', `order ${orderId} not found`);
            if (!response.ok) throw problem(502, 'bad-gateway', `orders answered ${response.status}`);
            const order = (await response.json()) as { status: string };
            const stream = streams.open(reply);
            stream.onClose(unsubscribe);
            stream.send('snapshot', order);
            if (isFinal(order.status)) return stream.close();
            deliver = (update) => {
              stream.send('update', update);
              if (isFinal(update.status)) stream.close();
            };
            for (const update of early) deliver(update);
          } catch (err) {
            unsubscribe();
            throw err;
          }
        },
      });
    },
    onStart(ctx) {
      const ns = ctx.platform.MERIDIAN_NAMESPACE;
      feed = createLiveFeed({
        brokers: splitList(ctx.platform.KAFKA_BROKERS),
        topics: [physicalTopic(ns, OrdersEventsTopic.name)],
        groupId: `${ns}.storefront.live.${randomUUID()}`,
        logger: ctx.logger,
        onMessage(message) {
          try {
            const update = orderUpdateFrom(message);
            if (update) updates.publish(update.orderId, update);
          } catch (err) {
            if (!(err instanceof InvalidEventError)) throw err;
            ctx.logger.warn({ topic: message.topic, partition: message.partition, offset: message.offset, reason: err.reason }, 'ignored an invalid order event');
          }
        },
      });
    },
    async onStop() {
      await feed?.stop();
    },
  });
}
