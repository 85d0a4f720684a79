/**
 * A soak run: the default platform (as `npm start` runs it) held at half its sustainable order rate for
 * 30 minutes (`--quick`: 2), sampled at fixed intervals: per process resident memory, each service's
 * V8 heap and consumer lag (from its /metrics), warn and error lines in the service logs, answers other
 * than 202, and POST -> CONFIRMED latency of the orders placed in the interval. Whether memory, lag and
 * latency stay flat over time is what it is for.
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { createResolver } from '@meridian/discovery';
import type { Platform } from '../scripts/platform.ts';
import { postOrder, prepare, tallyOutcomes, warmUp, watchOrderOutcomes, type Customer, type Watcher } from './e2e.ts';
import { withDefaultPlatform } from './lib/defaultPlatform.ts';
import { partOf } from './lib/machine.ts';
import { openLoop, until } from './lib/messaging.ts';
import { machine } from './lib/proc.ts';
import { type BenchResult, type Row, withTargets } from './lib/report.ts';
import { round, summarize } from './lib/stats.ts';
import type { BenchOptions } from './options.ts';

/** Half of the highest sustained rate measured by `--only cost` on the 2-core machine (40 orders/s). */
const defaultRate = 20;

function settingsFor(quick: boolean) {
  return {
    rate: Number(process.env.SOAK_RATE || defaultRate),
    warmUpSeconds: quick ? 10 : 60,
    durationSeconds: quick ? 120 : 1800,
    intervalSeconds: quick ? 15 : 60,
    products: 20,
  };
}
type Settings = ReturnType<typeof settingsFor>;

export interface SoakSample {
  atSeconds: number;
  posted: number;
  /** Answers to the POSTs of the interval, by status (`error` when none came). */
  statuses: Record<string, number>;
  confirmed: number;
  p50Ms: number;
  p99Ms: number;
  /** Resident memory per platform part (MB, all its processes). */
  rssMb: Record<string, number>;
  /** V8 heap in use per service (MB, from nodejs_heap_size_used_bytes). */
  heapMb: Record<string, number>;
  /** Messages not yet committed, per service (kafka_consumer_lag summed). */
  lag: Record<string, number>;
  /** Warn and error lines the service logs gained in the interval. */
  problemLines: number;
}

export async function runSoakBench({ quick, log }: BenchOptions): Promise<BenchResult> {
  const before = machine();
  const settings = settingsFor(quick);
  const samples = await withDefaultPlatform(log, (platform) => soak(platform, settings, log));
  return summarise(samples, settings, { before, after: machine() });
}

async function soak(platform: Platform, settings: Settings, log: (line: string) => void): Promise<SoakSample[]> {
  const customer = await prepare(platform.gatewayUrl, settings.products, log);
  const watcher = await watchOrderOutcomes(platform.ns);
  const resolver = createResolver({ endpoints: platform.infra.env.ETCD_ENDPOINTS.split(','), ns: platform.ns });
  await resolver.start();
  const logs = new LogProblems(platform.logDir);
  try {
    await warmUp(platform.gatewayUrl, customer, watcher, { rate: settings.rate, seconds: settings.warmUpSeconds, settleMs: 1000 });
    logs.skipToEnd();
    log(`soaking at ${settings.rate} orders/s for ${settings.durationSeconds} s, a sample every ${settings.intervalSeconds} s`);
    const samples: SoakSample[] = [];
    const startedAt = Date.now();
    let signedInAt = Date.now();
    while (Date.now() - startedAt < settings.durationSeconds * 1000) {
      // Access tokens live 15 minutes: the customer signs in again well before, like a real client.
      if (Date.now() - signedInAt > 10 * 60_000) {
        await customer.renew();
        signedInAt = Date.now();
      }
      const sample = await interval(platform, customer, watcher, resolver, logs, settings);
      sample.atSeconds = Math.round((Date.now() - startedAt) / 1000);
      samples.push(sample);
      const rssTotal = Object.values(sample.rssMb).reduce((sum, mb) => sum + mb, 0);
      const lagTotal = Object.values(sample.lag).reduce((sum, n) => sum + n, 0);
      log(`t=${sample.atSeconds}s: ${sample.confirmed}/${sample.posted} confirmed, p99 ${round(sample.p99Ms, 0)} ms, RSS ${round(rssTotal, 0)} MB, lag ${lagTotal}, ${sample.problemLines} warn/error line(s)`);
    }
    return samples;
  } finally {
    await resolver.stop();
    await watcher.close();
  }
}

async function interval(
  platform: Platform,
  customer: Customer,
  watcher: Watcher,
  resolver: ReturnType<typeof createResolver>,
  logs: LogProblems,
  settings: Settings,
): Promise<SoakSample> {
  const postedAt = new Map<string, number>();
  const statuses: Record<string, number> = {};
  let posted = 0;
  await openLoop(settings.rate, settings.intervalSeconds, async () => {
    posted += 1;
    const sentAt = Date.now();
    const answer = await postOrder(platform.gatewayUrl, customer).catch(() => ({ status: 'error' as const, body: undefined }));
    statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    if (answer.status === 202 && answer.body?.id) postedAt.set(answer.body.id, sentAt);
  });
  const lastPost = Date.now();
  // The last orders of the interval get a moment to finish; the next interval's POSTs wait for it.
  await until(() => [...postedAt.keys()].every((id) => watcher.outcomes.has(id)), 5000, 'the interval to settle', 50).catch(() => {});
  const { confirmLatenciesMs } = tallyOutcomes(watcher, postedAt, lastPost);
  const latency = summarize(confirmLatenciesMs);
  const { heapMb, lag } = await scrapeServices(resolver);
  return {
    atSeconds: 0,
    posted,
    statuses,
    confirmed: confirmLatenciesMs.length,
    p50Ms: latency.p50,
    p99Ms: latency.p99,
    rssMb: residentMemory(),
    heapMb,
    lag,
    problemLines: logs.newProblems(),
  };
}

/** Resident memory (VmRSS) of every process on the machine, summed per platform part, in MB. */
function residentMemory(): Record<string, number> {
  const parts: Record<string, number> = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      const part = partOf(cmdline, process.argv.join(' '));
      if (part === 'other' || part.startsWith('load generator')) continue;
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1] ?? 0);
      parts[part] = round((parts[part] ?? 0) + kb / 1024, 1);
    } catch {
      // gone between the listing and the read
    }
  }
  return parts;
}

/** Each registered instance's heap in use and consumer lag, summed per service. */
async function scrapeServices(resolver: ReturnType<typeof createResolver>) {
  const heapMb: Record<string, number> = {};
  const lag: Record<string, number> = {};
  await Promise.all(resolver.instances().map(async (instance) => {
    const page = await fetch(`${instance.url}/metrics`, { signal: AbortSignal.timeout(5000) }).then((r) => r.text(), () => '');
    heapMb[instance.service] = round((heapMb[instance.service] ?? 0) + metricSum(page, 'nodejs_heap_size_used_bytes') / 2 ** 20, 1);
    lag[instance.service] = (lag[instance.service] ?? 0) + metricSum(page, 'kafka_consumer_lag');
  }));
  return { heapMb, lag };
}

function metricSum(page: string, name: string): number {
  let sum = 0;
  for (const line of page.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
  }
  return sum;
}

/** Counts warn and error lines appended to the service logs since the last look. */
class LogProblems {
  private readonly offsets = new Map<string, number>();
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  skipToEnd(): void {
    for (const file of this.files()) this.offsets.set(file, this.size(file));
  }

  newProblems(): number {
    let count = 0;
    for (const file of this.files()) {
      const from = this.offsets.get(file) ?? 0;
      const to = this.size(file);
      if (to <= from) continue;
      const fd = openSync(file, 'r');
      try {
        const buffer = Buffer.alloc(to - from);
        readSync(fd, buffer, 0, buffer.length, from);
        count += buffer.toString('utf8').split('\n').filter((line) => /"level":("warn"|"error"|"fatal"|40|50|60)\b/.test(line)).length;
      } finally {
        closeSync(fd);
      }
      this.offsets.set(file, to);
    }
    return count;
  }

  private files(): string[] {
    return existsSync(this.dir) ? readdirSync(this.dir).filter((file) => file.endsWith('.log')).map((file) => join(this.dir, file)) : [];
  }

  private size(file: string): number {
    const fd = openSync(file, 'r');
    try {
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  }
}

/** Growth of `series` from its first to its last value, in percent of the first. */
function growthPercent(first: number | undefined, last: number | undefined): number | null {
  return first && last !== undefined ? ((last - first) / first) * 100 : null;
}

function summarise(samples: SoakSample[], settings: Settings, machineInfo: BenchResult['machine']): BenchResult {
  const rows: Row[] = samples.map((sample) => ({
    variant: `t=${sample.atSeconds}s`,
    kind: 'platform',
    throughput: sample.confirmed / settings.intervalSeconds,
    unit: 'orders/s',
    p50Ms: sample.p50Ms,
    p99Ms: sample.p99Ms,
    details: { posted: sample.posted, statuses: sample.statuses, rssMb: sample.rssMb, heapMb: sample.heapMb, lag: sample.lag, problemLines: sample.problemLines },
  }));
  const first = samples[0];
  const middle = samples[Math.floor(samples.length / 2)];
  const last = samples.at(-1);
  // Growth over the whole run (the first sample is taken after the warm-up) and over its second half,
  // once heaps and pools have grown to their working size: a leak keeps growing there, a warm-up does not.
  const growth = (from: SoakSample | undefined, pick: (sample: SoakSample) => Record<string, number>) =>
    Object.fromEntries(Object.keys(from ? pick(from) : {}).map((part) => [part, growthPercent(pick(from!)[part], last ? pick(last)[part] : undefined)]));
  const rssGrowth = growth(first, (s) => s.rssMb);
  const heapGrowth = growth(first, (s) => s.heapMb);
  const rssGrowthSecondHalf = growth(middle, (s) => s.rssMb);
  const nodeParts = Object.keys(heapGrowth);
  const largestNodeRssGrowth = Math.max(...nodeParts.map((part) => rssGrowthSecondHalf[part] ?? 0));
  const failedPosts = samples.reduce((sum, s) => sum + s.posted - (s.statuses['202'] ?? 0), 0);
  const problemLines = samples.reduce((sum, s) => sum + s.problemLines, 0);
  const lagOf = (sample: SoakSample) => Object.values(sample.lag).reduce((sum, n) => sum + n, 0);
  const half = Math.floor(samples.length / 2);
  const firstHalfLag = Math.max(0, ...samples.slice(0, half).map(lagOf));
  const secondHalfLag = Math.max(0, ...samples.slice(half).map(lagOf));
  const p99Ratio = first && last ? last.p99Ms / first.p99Ms : null;
  return {
    name: 'soak',
    description: `the default platform at ${settings.rate} orders/s for ${settings.durationSeconds} s: memory, lag, latency and errors over time`,
    quick: settings.durationSeconds < 1800,
    machine: machineInfo,
    settings,
    rows: [
      ...rows,
      {
        variant: 'growth from the first sample to the last (%)',
        kind: 'platform',
        throughput: 0,
        unit: '-',
        details: { rss: rssGrowth, heap: heapGrowth, rssSecondHalf: rssGrowthSecondHalf, lagLargestFirstHalf: firstHalfLag, lagLargestSecondHalf: secondHalfLag },
      },
    ],
    targets: withTargets([
      { name: 'largest RSS growth of a Node process over the second half of the run (%)', value: Number.isFinite(largestNodeRssGrowth) ? largestNodeRssGrowth : null, below: 10 },
      { name: 'p99 of the last interval / p99 of the first', value: p99Ratio, below: 2 },
      { name: 'consumer lag, largest sample of the second half / of the first half', value: firstHalfLag > 0 ? secondHalfLag / firstHalfLag : null, below: 2 },
      { name: 'POSTs not answered 202', value: failedPosts, below: 1 },
      { name: 'warn or error lines in the service logs', value: problemLines, below: 1 },
    ]),
    notes: [
      `open-loop POST /api/v1/orders at ${settings.rate}/s (tok_visa, 1-2 products with ample stock), after ${settings.warmUpSeconds} s of warm-up`,
      'RSS: VmRSS of every process of each platform part from /proc; heap: nodejs_heap_size_used_bytes and lag: kafka_consumer_lag from each registered instance /metrics',
      'latency: POST -> CONFIRMED (the orders service confirmedAt) of the orders posted in each interval',
      'growth compares the first sample (taken after the warm-up) with the last, and the middle sample with the last; V8 heaps move with GC timing, so a single sample says little, a trend over the run does',
      'lag is kafka_consumer_lag as each service last measured it (every 10 s), against offsets committed once a second: at a steady rate it stays at a few seconds of messages; growth over the run is what would show a consumer falling behind',
    ],
  };
}
