// Periodic jobs on a real PostgreSQL: runs repeat, a failure is counted and the job keeps running,
// a singleton runs on one instance at a time, and stop waits for the run in progress.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { createDb, type Sql } from '@meridian/db';
import { createLogger } from '@meridian/log';
import { createTempDatabase, type TempDatabase, waitFor } from '@meridian/testkit';
import { startJobs } from '../src/jobs.ts';

let db: TempDatabase;
let sql: Sql;
const logger = createLogger({ service: 'jobs-test', version: 'test', instance: 'test', level: 'silent' });

before(async () => {
  db = await createTempDatabase('jobs');
  sql = createDb(db.url, { max: 6 });
});
after(async () => {
  await sql.end({ timeout: 5 });
  await db.drop();
});

const runs = async (metrics: Registry, job: string, result: string) =>
  (await metrics.getSingleMetric('service_job_runs_total')!.get()).values.find((v) => v.labels.job === job && v.labels.result === result)?.value ?? 0;

test('a job runs again after each run; a failing run is counted and the next one still comes', async () => {
  const metrics = new Registry();
  let calls = 0;
  const jobs = startJobs(
    [{ name: 'flaky', everyMs: 20, runAtStart: true, run: async () => { calls += 1; if (calls === 2) throw new Error('boom'); } }],
    { service: 'tiny', sql: () => sql, logger, metrics },
  );
  await waitFor(() => calls >= 4, { timeoutMs: 5_000, message: 'four runs' });
  await jobs.stop();
  assert.equal(await runs(metrics, 'flaky', 'failed'), 1);
  assert.ok((await runs(metrics, 'flaky', 'ok')) >= 3);
});

test('a singleton job runs on one instance at a time; the others skip that round', async () => {
  const metrics = new Registry();
  let inside = 0;
  let most = 0;
  const job = {
    name: 'exclusive',
    everyMs: 10,
    runAtStart: true,
    singleton: true,
    async run() {
      inside += 1;
      most = Math.max(most, inside);
      await sleep(50);
      inside -= 1;
    },
  };
  const instances = [1, 2, 3].map(() => startJobs([job], { service: 'tiny', sql: () => sql, logger, metrics }));
  await waitFor(async () => (await runs(metrics, 'exclusive', 'skipped')) >= 3 && (await runs(metrics, 'exclusive', 'ok')) >= 3, { timeoutMs: 5_000, message: 'runs and skips' });
  await Promise.all(instances.map((i) => i.stop()));
  assert.equal(most, 1, 'never two runs at once');
});

test('stop waits for the run in progress and aborts its signal', async () => {
  let finished = false;
  let aborted = false;
  const jobs = startJobs(
    [{ name: 'slow', everyMs: 10_000, runAtStart: true, async run(signal) { await sleep(200); aborted = signal.aborted; finished = true; } }],
    { service: 'tiny', sql: () => sql, logger, metrics: new Registry() },
  );
  await sleep(50);
  await jobs.stop();
  assert.ok(finished, 'the run finished before stop resolved');
  assert.ok(aborted, 'the run saw the stop');
});
