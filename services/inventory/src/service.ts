import { fileURLToPath } from 'node:url';
import { Type } from 'typebox';
import { collectedGauge } from '@meridian/http';
import type { ServiceContext, ServiceDefinition } from '@meridian/service';
import { inventoryRoutes } from './api/routes.ts';
import { countActiveReservations } from './db/queries.ts';
import { orderEventSubscriptions } from './events/handlers.ts';
import { inventoryEvents, inventoryEventTypes } from './events/publish.ts';
import { OrderCancelled, OrderConfirmed, OrderPlaced } from '@meridian/contracts';
import { createInventory } from './inventory.ts';

const configSchema = {
  RESERVATION_TTL_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
  RESERVATION_SWEEP_INTERVAL_MS: Type.Integer({ minimum: 50, default: 5000 }),
};

/** The inventory service. */
export function inventoryService(): ServiceDefinition<typeof configSchema> {
  const inventoryOf = (ctx: ServiceContext<typeof configSchema>) =>
    createInventory({ events: inventoryEvents(ctx.outbox), reservationTtlSeconds: ctx.config.RESERVATION_TTL_SECONDS });

  return {
    name: 'inventory',
    version: '1.0.0',
    configSchema,
    migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
    produces: inventoryEventTypes,
    consumes: [OrderPlaced, OrderConfirmed, OrderCancelled],
    openapi: { title: 'Meridian inventory', description: 'Stock levels and order reservations.' },
    consumers: (ctx) => [
      // One order per transaction: every reservation locks the stock rows of its products, and orders share
      // popular products. Batched, a partition's transaction held the rows of all its orders until it
      // committed, the other partitions' batches waited past their lock timeout, rolled back and were
      // split: at 110 orders/s on 20 products, 8% of inventory's transactions rolled back and the saga
      // finished about 80 orders/s with the machine at 1.6 of 2 cores; one order per transaction, 106/s,
      // none rolled back, 1.9 cores (docs/benchmarks.md, session 16).
      { name: 'orders', on: orderEventSubscriptions(inventoryOf(ctx), ctx.logger), batchSize: 1 },
    ],
    routes: (app, ctx) => inventoryRoutes(app, { sql: ctx.sql, inventory: inventoryOf(ctx), auth: ctx.auth }),
    onStart(ctx) {
      collectedGauge(ctx.metrics, 'inventory_active_reservations', 'Reservations held for orders not yet confirmed, cancelled or expired', () =>
        countActiveReservations(ctx.sql),
      );
    },
    jobs: (ctx) => [
      {
        // Releases reservations whose order was neither confirmed nor cancelled in time (SKIP LOCKED: any instance).
        name: 'reservation-expiry',
        everyMs: ctx.config.RESERVATION_SWEEP_INTERVAL_MS,
        async run(signal) {
          const inventory = inventoryOf(ctx);
          const batchSize = 100;
          let expired = 0;
          let released = batchSize;
          while (released === batchSize && !signal.aborted) {
            released = await inventory.expireDue(ctx.sql, batchSize);
            expired += released;
          }
          if (expired > 0) ctx.logger.info({ expired }, 'expired reservations released');
        },
      },
    ],
  };
}
