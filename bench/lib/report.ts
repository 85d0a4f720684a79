/** Benchmark results: one JSON file per benchmark and a printed table with ratios and targets. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Machine } from './proc.ts';
import type { ProfileSummary } from './profile.ts';
import { resultsDir } from './paths.ts';
import { round, type Target, targetMet } from './stats.ts';

export interface Row {
  variant: string;
  /** `ceiling`: the infrastructure's own tool; `baseline`: a bare client or server; `platform`: Meridian's path. */
  kind: 'ceiling' | 'baseline' | 'platform';
  throughput: number;
  /** Unit of `throughput`, e.g. `req/s`, `msg/s`, `orders/s`. */
  unit: string;
  p50Ms?: number;
  p99Ms?: number;
  /** CPU seconds of the processes doing the work (client side: see the benchmark's notes). */
  cpuSeconds?: number;
  /** Events (requests, messages, orders) per CPU-second. */
  perCpuSecond?: number;
  /** Anything else worth keeping (errors, counts, raw tool figures). */
  details?: Record<string, unknown>;
}

export interface BenchResult {
  name: string;
  description: string;
  quick: boolean;
  machine: { before: Machine; after: Machine };
  settings: Record<string, unknown>;
  rows: Row[];
  targets: (Target & { met: boolean | null })[];
  notes: string[];
  /** With `--profile`: where each profiled platform process spent its CPU. */
  profiles?: (ProfileSummary & { service: string })[];
}

export function withTargets(targets: Target[]): (Target & { met: boolean | null })[] {
  return targets.map((target) => ({ ...target, value: target.value === null ? null : round(target.value, 3), met: targetMet(target) }));
}

export function writeResult(result: BenchResult, dir = resultsDir): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${result.name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

const cell = (value: number | undefined, digits = 1) => (value === undefined || !Number.isFinite(value) ? '-' : String(round(value, digits)));

/** A fixed-width table of the rows, then one line per target. */
export function formatResult(result: BenchResult): string {
  const header = ['variant', 'kind', 'throughput', 'p50 ms', 'p99 ms', 'CPU s', 'per CPU-s'];
  const body = result.rows.map((row) => [
    row.variant,
    row.kind,
    `${cell(row.throughput)} ${row.unit}`,
    cell(row.p50Ms, 2),
    cell(row.p99Ms, 2),
    cell(row.cpuSeconds, 2),
    cell(row.perCpuSecond, 0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const { before, after } = result.machine;
  const out = [
    `== ${result.name}: ${result.description}${result.quick ? ' (quick)' : ''}`,
    `   ${before.cpus} CPUs, load average ${before.loadavg.join(' ')} before, ${after.loadavg.join(' ')} after`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
  ];
  for (const target of result.targets) {
    const verdict = target.met === null ? 'n/a' : target.met ? 'MET' : 'MISSED';
    const goal = target.atLeast !== undefined ? `>= ${target.atLeast}` : target.below !== undefined ? `< ${target.below}` : '';
    out.push(`   ${target.name}: ${target.value ?? '-'}${goal ? ` (target ${goal})` : ''} ${goal ? verdict : ''}`.trimEnd());
  }
  for (const note of result.notes) out.push(`   note: ${note}`);
  for (const profile of result.profiles ?? []) {
    const list = (items: { name: string; share: number }[], n: number) => items.slice(0, n).map((i) => `${i.share}% ${i.name}`).join(', ');
    out.push(`   profile ${profile.service} (${profile.file}, busy ${profile.busyShare}%): by package: ${list(profile.packages, 8)}`);
    out.push(`     top functions: ${list(profile.functions, 8)}`);
  }
  return out.join('\n');
}
