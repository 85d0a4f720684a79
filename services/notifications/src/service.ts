/** The notifications service definition: run by `main.ts`, started in-process by the integration tests. */
import { fileURLToPath } from 'node:url';
import { OrderCancelled, OrderConfirmed } from '@meridian/contracts';
import type { ServiceDefinition } from '@meridian/service';
import { registerRoutes } from './api/routes.ts';
import { notificationSubscriptions } from './events/handlers.ts';
import { createdCounter } from './metrics.ts';

export function notificationsService(): ServiceDefinition {
  return {
    name: 'notifications',
    version: '1.0.0',
    migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
    // Notifications publish no events of their own.
    relay: false,
    // The outcomes carry the customer's email (v2): no read model of OrderPlaced, one transaction per order.
    consumes: [OrderConfirmed, OrderCancelled],
    consumers: (ctx) => [
      { name: 'orders', on: notificationSubscriptions(createdCounter(ctx.metrics)) },
    ],
    routes: (app, ctx) => registerRoutes(app, { sql: ctx.sql, requireUser: ctx.auth.requireUser }),
  };
}
