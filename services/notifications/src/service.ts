/** The notifications service definition: run by `main.ts`, started in-process by the integration tests. */
import { fileURLToPath } from 'node:url';
import { topicDefinitions, topics } from '@meridian/contracts';
import { defineTopic } from '@meridian/messaging';
import type { ServiceDefinition } from '@meridian/service';
import { registerRoutes } from './api/routes.ts';
import { notificationHandlers } from './events/handlers.ts';
import { createdCounter } from './metrics.ts';

export function notificationsService(): ServiceDefinition {
  return {
    name: 'notifications',
    version: '1.0.0',
    migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
    topics: [defineTopic(topicDefinitions[topics.ordersEvents])],
    // Notifications publish no events of their own.
    relay: false,
    consumers: (ctx) => [
      { name: 'orders', topics: [topics.ordersEvents], handlers: notificationHandlers(createdCounter(ctx.metrics)) },
    ],
    routes: (app, ctx) => registerRoutes(app, { sql: ctx.sql, requireUser: ctx.auth.requireUser }),
  };
}
