// `npm run bench [-- --only http,kafka,outbox,e2e,cost,db,soak] [--quick] [--profile]` (soak only when named): runs the benchmarks one after the other,
// prints each result table and writes bench/results/<name>.json.
import { parseArgs } from 'node:util';
import { runCostBench } from './cost.ts';
import { runDbBench } from './db.ts';
import { runE2eBench } from './e2e.ts';
import { runHttpBench } from './http.ts';
import { runKafkaBench } from './kafka.ts';
import { runOutboxBench } from './outbox.ts';
import { runSoakBench } from './soak.ts';
import type { BenchOptions } from './options.ts';
import { formatResult, writeResult, type BenchResult } from './lib/report.ts';
import { displayPath } from './lib/paths.ts';

const benchmarks: Record<string, (options: BenchOptions) => Promise<BenchResult>> = {
  http: runHttpBench,
  kafka: runKafkaBench,
  outbox: runOutboxBench,
  e2e: runE2eBench,
  cost: runCostBench,
  db: runDbBench,
};
// Only on request (`--only soak`): it takes 30 minutes.
const onRequest: Record<string, (options: BenchOptions) => Promise<BenchResult>> = { soak: runSoakBench };

const { values } = parseArgs({ options: { only: { type: 'string' }, quick: { type: 'boolean', default: false }, profile: { type: 'boolean', default: false } } });
const selected = values.only ? values.only.split(',').map((name) => name.trim()).filter(Boolean) : Object.keys(benchmarks);
const runners = { ...benchmarks, ...onRequest };
const unknown = selected.filter((name) => !runners[name]);
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(runners).join(', ')}`);
  process.exit(2);
}

let failed = 0;
for (const name of selected) {
  const log = (line: string) => console.log(`[${name}] ${line}`);
  try {
    const result = await runners[name]!({ quick: values.quick, profile: values.profile, log });
    const file = writeResult(result);
    console.log(`\n${formatResult(result)}\n   -> ${displayPath(file)}\n`);
  } catch (err) {
    failed += 1;
    console.error(`[${name}] failed: ${(err as Error).stack ?? err}`);
  }
}
process.exit(failed > 0 ? 1 : 0);
