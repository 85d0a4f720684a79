/**
 * Applies a service's migrations (the chassis tables first) and exits: the command of each service's migration Job.
 *   DATABASE_URL=postgres://... node infra/k8s/migrate.ts services/<service>/migrations
 */
import { hostname } from 'node:os';
import { basename, dirname } from 'node:path';
import { createDb, migrate } from '@meridian/db';
import { createLogger } from '@meridian/log';
import { messagingMigrations } from '@meridian/messaging';

const [dir] = process.argv.slice(2);
const url = process.env.DATABASE_URL;
if (!dir || !url) {
  console.error('usage: DATABASE_URL=postgres://... node infra/k8s/migrate.ts <migrations dir>');
  process.exit(2);
}
const logger = createLogger({ service: `${basename(dirname(dir))}-migrate`, version: 'job', instance: hostname(), level: 'info' });
const sql = createDb(url, { max: 1 });
try {
  const applied = await migrate(sql, [messagingMigrations, dir], logger);
  logger.info({ applied }, applied.length ? 'migrations applied' : 'schema up to date');
} catch (err) {
  logger.error({ err }, 'migration failed');
  process.exitCode = 1;
} finally {
  await sql.end();
}
