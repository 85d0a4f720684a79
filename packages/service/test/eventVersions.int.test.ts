// Events across versions, through the whole chassis on real etcd, PostgreSQL and Kafka: a producer
// emits the newest version of an event that every running consumer reads.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import postgres from 'postgres';
import { Type } from 'typebox';
import { register } from '@meridian/discovery';
import { event, on, topic } from '@meridian/messaging';
import { createTempDatabase, infra, uniqueName, waitFor } from '@meridian/testkit';
import { deleteNamespaceTopics } from '@meridian/testkit/services';
import { droppedVersionsInUse } from '../../../tools/lib/eventCompat.ts';
import { startService, type ServiceDefinition } from '../src/index.ts';

const { etcdEndpoints } = infra();

const NotesTopic = topic({ name: 'notes.events', owner: 'notes' });
/** v2 adds the optional `tags`. */
const NoteAdded = event({
  topic: NotesTopic,
  type: 'NoteAdded',
  versions: {
    1: Type.Object({ noteId: Type.String(), text: Type.String() }),
    2: Type.Object({ noteId: Type.String(), text: Type.String(), tags: Type.Optional(Type.Array(Type.String())) }),
  },
});

/** Writes NoteAdded v2 on POST /api/v1/notes and reads its own topic (so it advertises what it accepts). */
const notesConfig = {};
function notesService(migrationsDir: string): ServiceDefinition<typeof notesConfig> {
  return {
    name: 'notes',
    version: '2.0.0',
    configSchema: notesConfig,
    migrationsDir,
    produces: [NoteAdded],
    consumes: [NoteAdded],
    consumers: () => [{ name: 'indexer', on: [on(NoteAdded, async () => {})] }],
    routes(app, ctx) {
      app.post('/api/v1/notes', { schema: { body: Type.Object({ noteId: Type.String(), text: Type.String() }) } }, async (request, reply) => {
        await ctx.sql.begin((tx) => ctx.outbox.add(tx, NoteAdded.v2, request.body.noteId, { ...request.body, tags: ['kitchen'] }));
        return reply.code(202).send({});
      });
    },
  };
}

test('a producer emits the newest event version every running consumer reads: v1 while a v1-only consumer runs, v2 again once it is gone', async (t) => {
  const ns = uniqueName('ver');
  const database = await createTempDatabase('ver');
  const migrationsDir = await mkdtemp(join(tmpdir(), 'notes-migrations-'));
  let service: Awaited<ReturnType<typeof startService>> | undefined;
  let sql: postgres.Sql | undefined;
  // In order: the service and this test's connection, then its database and topics.
  t.after(async () => {
    await service?.stop();
    await sql?.end();
    await database.drop();
    await rm(migrationsDir, { recursive: true, force: true });
    await deleteNamespaceTopics(ns);
  });
  service = await startService(notesService(migrationsDir), { DATABASE_URL: database.url, MERIDIAN_NAMESPACE: ns, PORT: '0', LOG_LEVEL: 'warn' });
  sql = postgres(database.url, { max: 1, onnotice: () => {} });
  const { ctx, url } = service;
  const db = sql;

  const add = async (noteId: string) => {
    const response = await fetch(`${url}/api/v1/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ noteId, text: noteId }) });
    assert.equal(response.status, 202);
    const [row] = await db<{ version: number; payload: { version: number; data: Record<string, unknown> } }[]>`select version, payload from outbox where key = ${noteId}`;
    return { version: row.version, envelopeVersion: row.payload.version, data: row.payload.data };
  };

  // The service advertises, per consumer group, the versions its build reads.
  const own = await waitFor(() => ctx.resolver.instances('notes').find((i) => i.messaging?.consumes.length), { timeoutMs: 5000, message: 'own record' });
  assert.deepEqual(own.messaging?.consumes, [{ group: `${ns}.notes.indexer`, topics: ['notes.events'], accepts: { NoteAdded: [1, 2] } }]);
  assert.deepEqual(await add('n1'), { version: 2, envelopeVersion: 2, data: { noteId: 'n1', text: 'n1', tags: ['kitchen'] } });

  // A build of another service that reads only v1 starts (its record is what discovery shows).
  const oldReader = await register({
    endpoints: etcdEndpoints,
    ns,
    instance: {
      service: 'search',
      version: '1.0.0',
      instanceId: 'search-old',
      url: 'http://127.0.0.1:9',
      apiVersions: ['v1'],
      health: 'ready',
      startedAt: new Date().toISOString(),
      messaging: { produces: [], consumes: [{ group: `${ns}.search.notes`, topics: ['notes.events'], accepts: { NoteAdded: [1] } }] },
    },
  });
  t.after(() => oldReader.deregister());
  await waitFor(() => ctx.resolver.instances('search').length === 1, { timeoutMs: 5000, message: 'the v1 reader seen' });
  assert.deepEqual(await add('n2'), { version: 1, envelopeVersion: 1, data: { noteId: 'n2', text: 'n2' } }, 'v1, without the field v1 does not have');

  // The producer advertises what its outbox wrote: a consumer build that stops reading v1 is refused while it runs.
  const emitted = await waitFor(() => ctx.resolver.instances('notes').find((i) => i.messaging?.emits?.NoteAdded?.length === 2), { timeoutMs: 5000, message: 'emits advertised' });
  assert.deepEqual(emitted.messaging?.emits, { NoteAdded: [1, 2] });
  const readsOnlyV2 = event({ topic: NotesTopic, type: 'NoteAdded', versions: { 2: NoteAdded.versions[2] } });
  const refusals = droppedVersionsInUse('search', [readsOnlyV2], ctx.resolver.instances());
  assert.equal(refusals.length, 1);
  assert.match(refusals[0], /^notes 2\.0\.0 \(.+\) still emits NoteAdded v1, which the new build of search no longer reads \(it reads v2\)$/);
  assert.deepEqual(droppedVersionsInUse('search', [NoteAdded], ctx.resolver.instances()), []);

  // Its upgrade finished: the v1-only instance is gone, v2 flows again.
  await oldReader.deregister();
  await waitFor(() => ctx.resolver.instances('search').length === 0, { timeoutMs: 5000, message: 'the v1 reader gone' });
  assert.deepEqual(await add('n3'), { version: 2, envelopeVersion: 2, data: { noteId: 'n3', text: 'n3', tags: ['kitchen'] } });
});

test('a consumer declared with batchSize 1 handles each message in a transaction of its own; the default batches a partition\'s backlog', async (t) => {
  const ns = uniqueName('batch');
  const database = await createTempDatabase('batch');
  const migrationsDir = await mkdtemp(join(tmpdir(), 'tally-migrations-'));
  await writeFile(join(migrationsDir, '001_seen.sql'), 'create table seen (consumer text not null, note_id text not null, txid bigint not null);\n');
  let service: Awaited<ReturnType<typeof startService>> | undefined;
  t.after(async () => {
    await service?.stop();
    await database.drop();
    await rm(migrationsDir, { recursive: true, force: true });
    await deleteNamespaceTopics(ns);
  });
  const record = (consumer: string) =>
    on(NoteAdded, async (event, tx) => {
      await tx`insert into seen (consumer, note_id, txid) values (${consumer}, ${event.data.noteId}, txid_current())`;
    });
  const tally: ServiceDefinition<typeof notesConfig> = {
    name: 'tally',
    version: '1.0.0',
    configSchema: notesConfig,
    migrationsDir,
    produces: [NoteAdded],
    consumes: [NoteAdded],
    consumers: () => [
      { name: 'batched', on: [record('batched')] },
      { name: 'single', on: [record('single')], batchSize: 1 },
    ],
    routes() {},
  };
  service = await startService(tally, { DATABASE_URL: database.url, MERIDIAN_NAMESPACE: ns, PORT: '0', LOG_LEVEL: 'warn' });
  const { sql } = service.ctx;
  // One key: every message on one partition, published together, so the default consumer meets a backlog.
  const notes = 40;
  await sql.begin(async (tx) => {
    for (let i = 0; i < notes; i++) await service!.ctx.outbox.add(tx, NoteAdded.v2, 'one-key', { noteId: `n${i}`, text: 'x' });
  });
  const tallies = async () =>
    Object.fromEntries((await sql<{ consumer: string; messages: number; transactions: number }[]>`
      select consumer, count(*)::int as messages, count(distinct txid)::int as transactions from seen group by consumer`).map((row) => [row.consumer, row]));
  const seen = await waitFor(async () => {
    const now = await tallies();
    return now.batched?.messages === notes && now.single?.messages === notes ? now : undefined;
  }, { timeoutMs: 30_000, message: 'both consumers handled every note' });
  assert.equal(seen.single.transactions, notes, 'one transaction per message');
  assert.ok(seen.batched.transactions < notes, `the default batched the backlog (${seen.batched.transactions} transactions for ${notes} messages)`);
});
