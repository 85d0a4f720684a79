// Periodic work of a service (`jobs` in its definition): each job runs, waits `everyMs` after the run
// ended, and runs again; `singleton` jobs run on one instance at a time; every run is counted and
// timed; a stop waits for the run in progress.
import type { Registry } from 'prom-client';
import { counterOf, histogramOf } from '@meridian/http';
import type { Sql } from '@meridian/db';
import type { Logger } from '@meridian/log';

export interface JobDef {
  /** Names the job in logs, metrics and (for singletons) its lock. */
  name: string;
  /** Pause between the end of one run and the start of the next. */
  everyMs: number;
  /** Run once as soon as the service has started, instead of after the first pause. */
  runAtStart?: boolean;
  /**
   * One instance of the service at a time: a PostgreSQL advisory lock taken for the run; an instance
   * that does not get it skips that round. Not needed for work that is safe in parallel (`SKIP LOCKED`).
   */
  singleton?: boolean;
  /** One run. `signal` aborts when the service stops: a long run should end early. */
  run(signal: AbortSignal): Promise<void>;
}

export interface RunningJobs {
  stop(): Promise<void>;
}

type Result = 'ok' | 'failed' | 'skipped';

function jobMetrics(registry: Registry) {
  return {
    runs: counterOf(registry, 'service_job_runs_total', 'Runs of periodic jobs, by result (skipped: a singleton running elsewhere)', ['job', 'result']),
    seconds: histogramOf(registry, 'service_job_duration_seconds', 'Duration of periodic job runs', ['job'], [0.01, 0.05, 0.25, 1, 5, 30]),
  };
}

export function startJobs(jobs: JobDef[], options: { service: string; sql: () => Sql; logger: Logger; metrics: Registry }): RunningJobs {
  const { logger } = options;
  const metrics = jobMetrics(options.metrics);
  const stopping = new AbortController();
  const running = new Set<Promise<unknown>>();
  const timers = new Set<NodeJS.Timeout>();

  async function runOnce(job: JobDef): Promise<Result> {
    if (!job.singleton) {
      await job.run(stopping.signal);
      return 'ok';
    }
    // The lock lives as long as this transaction: it is released when the run ends, or the connection dies.
    return options.sql().begin(async (tx) => {
      const [{ locked }] = await tx<{ locked: boolean }[]>`select pg_try_advisory_xact_lock(hashtext(${`job:${options.service}:${job.name}`})) as locked`;
      if (!locked) return 'skipped' as const;
      await job.run(stopping.signal);
      return 'ok' as const;
    });
  }

  function schedule(job: JobDef, delayMs: number) {
    if (stopping.signal.aborted) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      const endTimer = metrics.seconds.startTimer({ job: job.name });
      const run = runOnce(job)
        .catch((err: unknown) => {
          logger.error({ err, job: job.name }, 'job failed');
          return 'failed' as const;
        })
        .then((result) => {
          if (result !== 'skipped') endTimer();
          metrics.runs.inc({ job: job.name, result });
        })
        .finally(() => {
          running.delete(run);
          schedule(job, job.everyMs);
        });
      running.add(run);
    }, delayMs);
    timer.unref();
    timers.add(timer);
  }

  for (const job of jobs) {
    if (!Number.isFinite(job.everyMs) || job.everyMs <= 0) throw new Error(`Job ${job.name}: everyMs must be a positive number`);
    schedule(job, job.runAtStart ? 0 : job.everyMs);
  }

  return {
    async stop() {
      stopping.abort();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.all(running);
    },
  };
}
