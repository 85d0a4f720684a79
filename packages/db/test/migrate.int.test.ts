import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTempDatabase } from '@meridian/testkit';
import type { TempDatabase } from '@meridian/testkit';
import { createDb, dbReady, migrate, MigrationError } from '../src/index.ts';

async function setup(files: Record<string, string>) {
  const database: TempDatabase = await createTempDatabase('db_migrate');
  const dir = await mkdtemp(join(tmpdir(), 'migrations-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const pools: ReturnType<typeof createDb>[] = [];
  const pool = () => {
    const sql = createDb(database.url, { max: 2 });
    pools.push(sql);
    return sql;
  };
  const cleanup = async () => {
    await Promise.all(pools.map((sql) => sql.end()));
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  };
  return { dir, pool, cleanup };
}

const files = {
  '001_items.sql': 'create table items (id serial primary key, name text not null);',
  '002_seed.sql': `insert into items (name) values ('a'), ('b');
create function item_count() returns bigint language sql as $$ select count(*) from items $$;`,
  'README.md': 'not a migration',
};

test('applies pending migrations in order once, recording name and sha256', async (t) => {
  const { dir, pool, cleanup } = await setup(files);
  t.after(cleanup);
  const sql = pool();
  await dbReady(sql);
  assert.deepEqual(await migrate(sql, dir), ['001_items.sql', '002_seed.sql']);
  assert.deepEqual(await migrate(sql, dir), []);
  const [{ count }] = await sql`select item_count() as count`;
  assert.equal(Number(count), 2);
  const rows = await sql`select name, checksum from schema_migrations order by name`;
  assert.deepEqual(rows.map((r) => r.name), ['001_items.sql', '002_seed.sql']);
  for (const row of rows) assert.match(row.checksum, /^[0-9a-f]{64}$/);

  await writeFile(join(dir, '003_more.sql'), `insert into items (name) values ('c');`);
  assert.deepEqual(await migrate(sql, dir), ['003_more.sql']);
});

test('refuses to run when an applied migration changed on disk', async (t) => {
  const { dir, pool, cleanup } = await setup(files);
  t.after(cleanup);
  const sql = pool();
  await migrate(sql, dir);
  await writeFile(join(dir, '001_items.sql'), 'create table items (id bigserial primary key);');
  await writeFile(join(dir, '003_more.sql'), `insert into items (name) values ('c');`);
  await assert.rejects(migrate(sql, dir), (error: unknown) => {
    assert.ok(error instanceof MigrationError);
    assert.match(error.message, /001_items\.sql/);
    return true;
  });
  const [{ count }] = await sql`select count(*)::int as count from schema_migrations`;
  assert.equal(count, 2, 'nothing new applied after the refusal');
});

test('a failing migration rolls back and is not recorded', async (t) => {
  const { dir, pool, cleanup } = await setup({
    '001_ok.sql': 'create table ok (id int);',
    '002_bad.sql': 'create table half (id int); select no_such_function();',
  });
  t.after(cleanup);
  const sql = pool();
  await assert.rejects(migrate(sql, dir), /no_such_function/);
  const names = await sql`select name from schema_migrations`;
  assert.deepEqual(names.map((r) => r.name), ['001_ok.sql']);
  const [{ exists }] = await sql`select to_regclass('half') is not null as exists`;
  assert.equal(exists, false);
});

test('concurrent migrate from two pools applies each migration exactly once', async (t) => {
  const { dir, pool, cleanup } = await setup({
    ...files,
    '003_slow.sql': 'select pg_sleep(0.2); alter table items add column note text;',
  });
  t.after(cleanup);
  const results = await Promise.all([migrate(pool(), dir), migrate(pool(), dir), migrate(pool(), dir)]);
  assert.deepEqual(results.flat().sort(), ['001_items.sql', '002_seed.sql', '003_slow.sql']);
  const [{ count }] = await pool()`select count(*)::int as count from items`;
  assert.equal(count, 2, 'the seed ran once');
});

test("a library's scoped migrations run first, recorded under its scope, beside the service's own", async (t) => {
  const { dir, pool, cleanup } = await setup({ '001_items.sql': 'create table items (id serial primary key, tag_id int references tags (id));' });
  t.after(cleanup);
  const library = await mkdtemp(join(tmpdir(), 'library-migrations-'));
  t.after(() => rm(library, { recursive: true, force: true }));
  await writeFile(join(library, '001_items.sql'), 'create table tags (id serial primary key);');
  const sql = pool();
  assert.deepEqual(await migrate(sql, [{ dir: library, scope: 'lib' }, dir]), ['lib/001_items.sql', '001_items.sql']);
  assert.deepEqual(await migrate(sql, [{ dir: library, scope: 'lib' }, dir]), []);
  const rows = await sql`select name from schema_migrations order by applied_at, name`;
  assert.deepEqual(rows.map((r) => r.name).sort(), ['001_items.sql', 'lib/001_items.sql']);
});

test('a database that ran the copy a library now owns adopts the library migration without running it', async (t) => {
  const tables = 'create table outbox (seq bigserial primary key);';
  const { dir, pool, cleanup } = await setup({ '001_messaging.sql': tables, '002_items.sql': 'create table items (id int);' });
  t.after(cleanup);
  const sql = pool();
  assert.deepEqual(await migrate(sql, dir), ['001_messaging.sql', '002_items.sql']);
  // The copy moves into the library; the service's folder keeps only its own migrations.
  const library = await mkdtemp(join(tmpdir(), 'library-migrations-'));
  t.after(() => rm(library, { recursive: true, force: true }));
  await writeFile(join(library, '001_outbox.sql'), tables);
  await rm(join(dir, '001_messaging.sql'));
  const source = { dir: library, scope: 'messaging', adopts: { '001_outbox.sql': '001_messaging.sql' } };
  assert.deepEqual(await migrate(sql, [source, dir]), [], 'nothing ran again (create table outbox would have failed)');
  const names = (await sql`select name from schema_migrations`).map((r) => r.name).sort();
  assert.deepEqual(names, ['001_messaging.sql', '002_items.sql', 'messaging/001_outbox.sql']);

  // A new database runs the library's file.
  const fresh = await createTempDatabase('db_migrate_new');
  t.after(() => fresh.drop());
  const other = createDb(fresh.url, { max: 1 });
  t.after(() => other.end());
  assert.deepEqual(await migrate(other, [source, dir]), ['messaging/001_outbox.sql', '002_items.sql']);
  const [{ exists }] = await other`select to_regclass('outbox') is not null as exists`;
  assert.equal(exists, true);
});

test('dbReady rejects when the database is unreachable', async () => {
  const sql = createDb('postgres://postgres@127.0.0.1:1/none', { max: 1 });
  try {
    await assert.rejects(dbReady(sql, 1000));
  } finally {
    await sql.end({ timeout: 0 });
  }
});
