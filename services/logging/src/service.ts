/** The logging service definition: run by `main.ts`, started in-process by the integration tests. */
import { fileURLToPath } from 'node:url';
import { Type } from 'typebox';
import { logsTopic, logsTopicSettings } from '@meridian/log';
import { defineTopic } from '@meridian/messaging';
import type { ServiceDefinition } from '@meridian/service';
import { splitList } from '@meridian/config';
import { registerRoutes } from './api/routes.ts';
import { createLogIndexer, type LogIndexer } from './events/indexer.ts';
import { deleteOlderThan } from './db/entries.ts';

/** Shipped log lines: 3 partitions, kept 3 days (the index keeps them `LOG_RETENTION_DAYS`). */
export const logsTopicDefinition = defineTopic(logsTopicSettings);

const configSchema = {
  LOG_RETENTION_DAYS: Type.Integer({ minimum: 1, default: 3 }),
};

export function loggingService(): ServiceDefinition<typeof configSchema> {
  let indexer: LogIndexer | undefined;
  return {
    name: 'logging',
    version: '1.0.0',
    configSchema,
    migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
    topics: [logsTopicDefinition],
    // The logging service publishes no events.
    relay: false,
    ownConsumers: [{ name: 'indexer', topics: [logsTopic] }],
    routes: (app, ctx) => registerRoutes(app, { sql: ctx.sql, requireStaff: ctx.auth.requireStaff }),
    async onStart(ctx) {
      const { sql, logger, config } = ctx;
      indexer = createLogIndexer({ sql, logger, brokers: splitList(config.KAFKA_BROKERS), ns: config.MERIDIAN_NAMESPACE });
      await indexer.start();
    },
    jobs: (ctx) => [
      {
        // Deletes entries older than LOG_RETENTION_DAYS, on one instance at a time.
        name: 'log-retention',
        everyMs: 60 * 60 * 1000,
        runAtStart: true,
        singleton: true,
        async run() {
          const days = ctx.config.LOG_RETENTION_DAYS;
          const deleted = await deleteOlderThan(ctx.sql, days);
          if (deleted > 0) ctx.logger.info({ deleted, days }, 'expired log entries deleted');
        },
      },
    ],
    async onStop() {
      await indexer?.stop();
    },
  };
}
