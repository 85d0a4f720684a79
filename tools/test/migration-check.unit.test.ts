import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { compareMigrations, failuresOfTap } from '../lib/migrationCheck.ts';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

test('migrations are only ever added: the new ones are listed, an edited or removed one is a problem', () => {
  const previous = folder({ '001_a.sql': 'create table a (id int);', '002_b.sql': 'create table b (id int);', 'README.md': 'not a migration' });
  const expanded = folder({ '001_a.sql': 'create table a (id int);', '002_b.sql': 'create table b (id int);', '003_c.sql': 'alter table a add column c text;' });
  assert.deepEqual(compareMigrations(previous, expanded), { added: ['003_c.sql'], problems: [] });

  const rewritten = folder({ '001_a.sql': 'create table a (id bigint);', '003_c.sql': 'select 1;' });
  const { added, problems } = compareMigrations(previous, rewritten);
  assert.deepEqual(added, ['003_c.sql']);
  assert.equal(problems.length, 2);
  assert.match(problems[0], /^001_a\.sql was edited/);
  assert.match(problems[1], /^002_b\.sql was removed/);
});

test("a TAP stream's failing tests are named with the first line of their error", () => {
  const tap = [
    'TAP version 13',
    '# Subtest: orders honours every pact its consumers published',
    'not ok 1 - orders honours every pact its consumers published',
    '  ---',
    "  type: 'test'",
    '  error: |-',
    '    GET /api/v1/orders/{id}: status 500 instead of 200',
    '    ',
    '    500 !== 200',
    '  ...',
    '# Subtest: fine',
    'ok 2 - fine',
    '  ---',
    '  ...',
    'not ok 3 - thrown',
    '  ---',
    `  error: 'column "customer_email" does not exist'`,
    '  ...',
    'not ok 4 - no detail',
    'not ok 5 - pact',
    '  error: |-',
    '    pact storefront -> orders failed:',
    '    Verifying a pact between storefront and orders: expected 200 but was 500',
    '  ...',
    '1..5',
  ].join('\n');
  assert.deepEqual(failuresOfTap(tap), [
    'orders honours every pact its consumers published: GET /api/v1/orders/{id}: status 500 instead of 200',
    'thrown: column "customer_email" does not exist',
    'no detail',
    'pact: pact storefront -> orders failed: Verifying a pact between storefront and orders: expected 200 but was 500',
  ]);
});
