import { test } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { createTempDatabase } from '../src/index.ts';

test('createTempDatabase() gives a usable database and drop() removes it', async () => {
  const db = await createTempDatabase('testkit');
  const sql = postgres(db.url, { max: 1 });
  try {
    const [row] = await sql`select current_database() as name`;
    assert.equal(row.name, db.name);
    await sql`create table t (id int)`;
  } finally {
    await sql.end();
  }
  await db.drop();
  const check = postgres(db.url, { max: 1 });
  await assert.rejects(check`select 1`, /does not exist/);
  await check.end();
});
