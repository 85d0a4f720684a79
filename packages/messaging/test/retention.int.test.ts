/** Retention of the chassis tables on a real PostgreSQL: what `pruneMessaging` deletes and what it keeps. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import postgres from 'postgres';
import { pruneMessaging } from '../src/index.ts';
import { createTempDatabase } from './helpers.ts';

const hourMs = 3_600_000;

/** A database with the chassis tables, dropped after the test. */
async function scratchDatabase(t: TestContext) {
  const db = await createTempDatabase();
  const sql = postgres(db.url, { max: 2, onnotice: () => {} });
  t.after(async () => {
    await sql.end();
    await db.drop();
  });
  return sql;
}

test('pruneMessaging deletes published events and inbox entries past retention, in batches, and keeps the rest', async (t) => {
  const sql = await scratchDatabase(t);
  const event = (key: string, age: string, published: boolean) => sql`
    insert into outbox (id, topic, key, type, version, payload, created_at, published_at)
    values (${randomUUID()}, 't', ${key}, 'ItemAdded', 1, '{}', now() - ${age}::interval, ${published ? sql`now() - ${age}::interval` : null})`;
  for (let i = 0; i < 5; i++) await event('old-published', '5 hours', true);
  await event('old-unpublished', '5 hours', false); // a publish that keeps failing is never dropped
  await event('recent-published', '10 minutes', true);
  const entry = (consumer: string, age: string) =>
    sql`insert into processed_messages (consumer, message_id, processed_at) values (${consumer}, ${randomUUID()}, now() - ${age}::interval)`;
  for (let i = 0; i < 3; i++) await entry('old', '20 days');
  await entry('recent', '1 day');

  const deleted = await pruneMessaging(sql, { outboxMs: 2 * hourMs, inboxMs: 14 * 24 * hourMs, batchSize: 2 });

  assert.deepEqual(deleted, { outbox: 5, inbox: 3 });
  const keys = await sql<{ key: string }[]>`select key from outbox order by seq`;
  assert.deepEqual(keys.map((r) => r.key), ['old-unpublished', 'recent-published']);
  const consumers = await sql<{ consumer: string }[]>`select consumer from processed_messages`;
  assert.deepEqual(consumers.map((r) => r.consumer), ['recent']);
  assert.deepEqual(await pruneMessaging(sql, { outboxMs: 2 * hourMs, inboxMs: 14 * 24 * hourMs }), { outbox: 0, inbox: 0 }, 'a second run finds nothing');
});

test('pruneMessaging stops between batches once its signal aborts', async (t) => {
  const sql = await scratchDatabase(t);
  await sql`
    insert into processed_messages (consumer, message_id, processed_at)
    select 'c', gen_random_uuid(), now() - interval '30 days' from generate_series(1, 10)`;
  const stop = new AbortController();
  stop.abort();
  assert.deepEqual(await pruneMessaging(sql, { outboxMs: hourMs, inboxMs: 24 * hourMs, batchSize: 4, signal: stop.signal }), { outbox: 0, inbox: 0 });
  assert.equal((await sql`select count(*)::int as n from processed_messages`)[0].n, 10);
});
