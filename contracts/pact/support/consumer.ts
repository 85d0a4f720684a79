// A consumer's own database (fresh, migrated) so its real handlers can process pact examples.
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createDb, migrate, type Sql } from '@meridian/db';
import { createLogger, type Logger } from '@meridian/log';
import { consumerPlan, createOutbox, dataErrors, messagingMigrations, type EventEnvelope, type Outbox, type Subscription } from '@meridian/messaging';
import { createTempDatabase } from '@meridian/testkit';
import { repoRoot } from '../../../tools/lib/paths.ts';

export interface ConsumerHarness {
  sql: Sql;
  outbox: Outbox;
  logger: Logger;
  metrics: Registry;
  /** Checks `event` against the subscribed schema and runs its handler in a transaction, as the chassis consumer does. */
  handle(subscriptions: Subscription[], event: EventEnvelope<any>): Promise<void>;
  /** Events the handlers wrote to the consumer's own outbox, oldest first. */
  outboxEvents(): Promise<{ type: string; payload: EventEnvelope<any> }[]>;
  close(): Promise<void>;
}

export async function consumerHarness(service: string): Promise<ConsumerHarness> {
  const db = await createTempDatabase(`pact_${service}`);
  const sql = createDb(db.url, { max: 2 });
  await migrate(sql, [messagingMigrations, join(repoRoot, 'services', service, 'migrations')]);
  const logger = createLogger({ service, version: 'contract-test', instance: 'pact', level: 'silent' });
  return {
    sql,
    outbox: createOutbox({ source: service, ns: 'pact' }),
    logger,
    metrics: new Registry(),
    async handle(subscriptions, event) {
      const { handlers, registry } = consumerPlan(subscriptions);
      const handler = handlers[event.type];
      if (!handler) throw new Error(`${service} has no handler for ${event.type}`);
      const errors = dataErrors(registry, event.type, event.version, event.data);
      if (errors.length > 0) throw new Error(`${service} would dead-letter ${event.type} v${event.version}: ${errors.join('; ')}`);
      const ctx = { topic: 'pact', partition: 0, offset: 0n, attempt: 1, groupId: `${service}.pact`, logger };
      await sql.begin((tx) => handler(event, tx, ctx));
    },
    async outboxEvents() {
      return sql<{ type: string; payload: EventEnvelope<any> }[]>`select type, payload from outbox order by seq`;
    },
    async close() {
      await sql.end();
      await db.drop();
    },
  };
}
