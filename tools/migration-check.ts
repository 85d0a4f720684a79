// `npm run migration-check -- <service> [--from <git ref>] [--migrations <dir>]`: does the previous build of
// <service> (default: the one recorded as deployed to production, else MERIDIAN_PREVIOUS_REF, else HEAD~1) still work on the database as this checkout migrates it?
// It runs that build's provider verification (its pacts) on the new migrations. Exit code 0 = yes.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkMigrations, previousBuildRef } from './lib/migrationCheck.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { from: { type: 'string' }, migrations: { type: 'string' } },
});
const [service] = positionals;
if (!service) {
  console.error('usage: migration-check <service> [--from <git ref>] [--migrations <dir>]');
  process.exit(2);
}

const from = values.from ?? previousBuildRef(service);
if (!from) {
  console.error('migration-check: no previous build to compare with (no deployment recorded, no parent commit); give --from <git ref>');
  process.exit(2);
}
const result = await checkMigrations({
  service,
  from,
  migrationsDir: values.migrations && resolve(values.migrations),
  log: (line) => console.log(`[migration-check] ${line}`),
});
for (const problem of result.problems) console.log(`FAIL ${problem}`);
console.log(`migration-check ${service} from ${from}: ${result.ok ? 'the previous build works on the new schema' : 'the previous build breaks'}`);
process.exit(result.ok ? 0 : 1);
