/** The orders service definition: run by `main.ts`, started in-process by the integration tests. */
import { fileURLToPath } from 'node:url';
import { Type } from 'typebox';
import { OrderCancelled, OrderConfirmed, OrderPlaced } from '@meridian/contracts';
import type { ServiceContext, ServiceDefinition } from '@meridian/service';
import { registerRoutes } from './api/routes.ts';
import { catalogProjectionEvents, catalogProjectionSubscriptions, sagaEvents, sagaSubscriptions } from './events/handlers.ts';
import { createOrderAdmission } from './admission.ts';
import { createOrderMetrics } from './metrics.ts';
import { createOrders, type Orders } from './orders.ts';

const config = {
  ORDER_TIMEOUT_SECONDS: Type.Integer({ default: 120, minimum: 1 }),
  ORDER_SWEEP_INTERVAL_MS: Type.Integer({ default: 5000, minimum: 100 }),
  /** New orders are refused with 503 + Retry-After while more are in progress than finish in this long. */
  ORDERS_ADMISSION_TARGET_MS: Type.Integer({ default: 1000, minimum: 50 }),
  /** The highest limit (orders in progress, all instances), and the limit of a saga at a standstill. */
  ORDERS_MAX_IN_PROGRESS: Type.Integer({ default: 100, minimum: 1 }),
  /** A saga finishing fewer orders a second is stalling or nearly idle, not overloaded: the limit rises toward the highest. */
  ORDERS_STALLED_BELOW_PER_SECOND: Type.Number({ default: 20, minimum: 0 }),
};
type Ctx = ServiceContext<typeof config>;

export function ordersService(): ServiceDefinition<typeof config> {
  let orders: Orders | undefined;
  const ordersOf = (ctx: Ctx) =>
    (orders ??= createOrders({ sql: ctx.sql, outbox: ctx.outbox, metrics: createOrderMetrics(ctx.metrics), source: ctx.name }));

  return {
    name: 'orders',
    version: '1.0.0',
    configSchema: config,
    migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
    produces: [OrderPlaced, OrderConfirmed, OrderCancelled],
    consumes: [...catalogProjectionEvents, ...sagaEvents],
    consumers: (ctx) => [
      { name: 'catalog-projection', on: catalogProjectionSubscriptions() },
      { name: 'saga', on: sagaSubscriptions(ordersOf(ctx)) },
    ],
    routes: (app, ctx) =>
      registerRoutes(app, {
        sql: ctx.sql,
        orders: ordersOf(ctx),
        auth: ctx.auth,
        admission: createOrderAdmission({
          sql: ctx.sql,
          targetMs: ctx.config.ORDERS_ADMISSION_TARGET_MS,
          stalledBelowPerSecond: ctx.config.ORDERS_STALLED_BELOW_PER_SECOND,
          maxInProgress: ctx.config.ORDERS_MAX_IN_PROGRESS,
          registry: ctx.metrics,
        }),
      }),
    jobs: (ctx) => [
      {
        // Cancels orders stuck in PENDING past the saga timeout; safe on every instance (SKIP LOCKED).
        name: 'order-timeouts',
        everyMs: ctx.config.ORDER_SWEEP_INTERVAL_MS,
        async run(signal) {
          for (let cancelled = 1; cancelled > 0 && !signal.aborted; ) {
            cancelled = await ordersOf(ctx).cancelTimedOut(ctx.config.ORDER_TIMEOUT_SECONDS);
            if (cancelled > 0) ctx.logger.info({ cancelled }, 'cancelled timed-out orders');
          }
        },
      },
    ],
  };
}
