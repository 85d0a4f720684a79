import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTempDatabase } from '@meridian/testkit';
import { createDb, vacuumWithoutAutovacuum } from '../src/index.ts';

test('without autovacuum on the server, the tables the role owns are vacuumed and analyzed; with it, nothing is done', async (t) => {
  const database = await createTempDatabase('db_maintenance');
  const sql = createDb(database.url, { max: 1 });
  t.after(async () => {
    await sql.end();
    await database.drop();
  });
  await sql`create table "Mixed Case" (id int primary key, note text)`;
  await sql`create table plain (id int)`;
  await sql`insert into "Mixed Case" select n, 'x' from generate_series(1, 2000) n`;
  await sql`delete from "Mixed Case" where id % 2 = 0`;
  const [{ on }] = await sql<{ on: boolean }[]>`select current_setting('autovacuum')::boolean as on`;

  const vacuumed = await vacuumWithoutAutovacuum(sql);
  if (on) {
    assert.deepEqual(vacuumed, [], 'the server vacuums by itself');
    return;
  }
  assert.deepEqual(vacuumed, ['"Mixed Case"', 'plain']);
  // The statistics reach the views within a second or two.
  let stats = { vacuums: 0, analyzes: 0, dead: -1, estimated: -1 };
  for (const started = Date.now(); stats.vacuums === 0 && Date.now() - started < 10_000; ) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    await sql`select pg_stat_clear_snapshot()`;
    [stats] = await sql<typeof stats[]>`
      select s.vacuum_count::int as vacuums, s.analyze_count::int as analyzes, s.n_dead_tup::int as dead, c.reltuples::int as estimated
      from pg_stat_user_tables s join pg_class c on c.oid = s.relid where s.relname = 'Mixed Case'`;
  }
  assert.equal(stats.vacuums, 1);
  assert.equal(stats.analyzes, 1);
  assert.equal(stats.dead, 0, 'the deleted rows are reclaimed');
  assert.equal(stats.estimated, 1000, 'the planner knows the table');
});
