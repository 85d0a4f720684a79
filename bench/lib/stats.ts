/** Latency summaries and ratios shared by every benchmark. */

export interface LatencySummary {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of ascending `sorted` values (`p` in 0..100); NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (p <= 0) return sorted[0];
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(rank, sorted.length) - 1];
}

export function summarize(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    count: sorted.length,
    min: sorted.length ? sorted[0] : Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

/** `numerator / denominator`, or null when the denominator is not a positive number. */
export function ratio(numerator: number, denominator: number): number | null {
  if (!Number.isFinite(numerator) || !Number.isFinite(denominator) || denominator <= 0) return null;
  return numerator / denominator;
}

/** Events per second over `ms` milliseconds. */
export function perSecond(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : Number.NaN;
}

export interface Target {
  /** What is compared, e.g. `gateway cached read / bare Fastify (req/s)`. */
  name: string;
  value: number | null;
  /** The value must be >= `atLeast` (a ratio) or < `below` (an absolute figure). */
  atLeast?: number;
  below?: number;
}

export function targetMet(target: Target): boolean | null {
  if (target.value === null || !Number.isFinite(target.value)) return null;
  if (target.atLeast !== undefined && target.value < target.atLeast) return false;
  if (target.below !== undefined && target.value >= target.below) return false;
  return true;
}

/** Rounds to `digits` significant decimals for printing and JSON (keeps integers as they are). */
export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
