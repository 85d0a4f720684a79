import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTempDatabase } from '@meridian/testkit';
import { createDb, vacuumWithoutAutovacuum } from '../src/index.ts';

test('without autovacuum on the server, the grown and changed tables the role owns are vacuumed and analyzed; with it, nothing is done', async (t) => {
  const database = await createTempDatabase('db_maintenance');
  const sql = createDb(database.url, { max: 1 });
  t.after(async () => {
    await sql.end();
    await database.drop();
  });
  await sql`create table "Mixed Case" (id int primary key, note text)`;
  await sql`create table small (id int)`;
  await sql`insert into "Mixed Case" select n, 'x' from generate_series(1, 2000) n`;
  await sql`delete from "Mixed Case" where id % 2 = 0`;
  await sql`insert into small select n from generate_series(1, 100) n`;
  const [{ on }] = await sql<{ on: boolean }[]>`select current_setting('autovacuum')::boolean as on`;
  const stats = async () => {
    await sql`select pg_stat_clear_snapshot()`;
    const [row] = await sql<{ vacuums: number; analyzes: number; live: number; dead: number; estimated: number }[]>`
      select s.vacuum_count::int as vacuums, s.analyze_count::int as analyzes, s.n_live_tup::int as live, s.n_dead_tup::int as dead,
        c.reltuples::int as estimated
      from pg_stat_user_tables s join pg_class c on c.oid = s.relid where s.relname = 'Mixed Case'`;
    return row!;
  };
  // The statistics reach the views within a second or two.
  const until = async (done: (s: Awaited<ReturnType<typeof stats>>) => boolean) => {
    let now = await stats();
    for (const started = Date.now(); !done(now) && Date.now() - started < 10_000; now = await stats()) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return now;
  };
  await until((s) => s.live + s.dead === 2000);

  const vacuumed = await vacuumWithoutAutovacuum(sql, { minRows: 1000 });
  if (on) {
    assert.deepEqual(vacuumed, [], 'the server vacuums by itself');
    return;
  }
  assert.deepEqual(vacuumed, ['public.Mixed Case'], 'the small table is left to the planner\'s default');
  const after = await until((s) => s.vacuums === 1);
  assert.equal(after.vacuums, 1);
  assert.equal(after.analyzes, 1);
  assert.equal(after.dead, 0, 'the deleted rows are reclaimed');
  assert.equal(after.estimated, 1000, 'the planner knows the table');
  assert.deepEqual(await vacuumWithoutAutovacuum(sql, { minRows: 1000 }), [], 'unchanged since: nothing to do');
});
