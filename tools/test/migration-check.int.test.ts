// The expand/contract check on real infrastructure: the last commit's orders build runs its pact
// verification on this checkout's migrations plus one more.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { checkMigrations } from '../lib/migrationCheck.ts';
import { repoRoot } from '../lib/paths.ts';

const folders: string[] = [];
after(() => folders.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** Orders' migrations as committed, plus `extra`. */
function ordersMigrationsPlus(extra: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'orders-migrations-'));
  folders.push(dir);
  cpSync(join(repoRoot, 'services', 'orders', 'migrations'), dir, { recursive: true });
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, name), text);
  return dir;
}

test('an expand migration (a nullable column) leaves the previous build working', async () => {
  const result = await checkMigrations({
    service: 'orders',
    from: 'HEAD',
    migrationsDir: ordersMigrationsPlus({ '900_order_gift_note.sql': 'alter table orders add column gift_note text;\n' }),
  });
  assert.deepEqual(result, { ok: true, added: ['900_order_gift_note.sql'], problems: [] });
});

test('a contract migration that drops a column the previous build reads fails the check, naming its failing pact verification', async () => {
  const result = await checkMigrations({
    service: 'orders',
    from: 'HEAD',
    migrationsDir: ordersMigrationsPlus({ '900_drop_order_reason.sql': 'alter table orders drop column reason;\n' }),
  });
  assert.equal(result.ok, false);
  assert.deepEqual(result.added, ['900_drop_order_reason.sql']);
  assert.ok(result.problems.length > 0);
  for (const problem of result.problems) assert.match(problem, /^the previous build \([0-9a-f]{7}\) fails /);
  assert.ok(
    result.problems.some((problem) => /orders honours every pact its consumers published: pact [\w-]+ -> orders failed: Verifying a pact between/.test(problem)),
    result.problems.join('\n'),
  );
});
