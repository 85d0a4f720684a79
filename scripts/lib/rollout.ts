/**
 * Rolls a service from the build its instances run to another, on a running platform: starts the new
 * build's instances beside the old ones, shifts the gateway's traffic split to it in steps while
 * comparing the two builds' error rate and p99 (from the gateway's per-version metrics), and either
 * retires the old instances or, when the new build degrades, sends everything back and retires the new.
 */
import { createEtcdClient, type EtcdClient, type ServiceInstance, servicesPrefix } from '@meridian/discovery';
import { trafficKey, type TrafficSplit } from '../../services/gateway/src/versions.ts';
import type { ServiceBuild, ServiceProcess } from '../platform.ts';

/** What a rollout needs of the launcher that owns the service processes (the platform, or its control channel). */
export interface LauncherControl {
  ns: string;
  gatewayUrl: string;
  instances(service: string): ServiceProcess[] | Promise<ServiceProcess[]>;
  launchBuild(service: string, build: ServiceBuild, count: number): ServiceProcess[] | Promise<ServiceProcess[]>;
  retire(ids: string[], registeredAs?: string): Promise<void>;
}

/** When a step counts as degraded (the new build against the old in the same window). */
export interface RolloutLimits {
  /** Share of the new build's answers that may be 5xx. */
  maxErrorRate: number;
  /** The new build's p99 may be this many times the old one's... */
  maxP99Ratio: number;
  /** ...or this much slower, whichever allows more (a fast service's p99 is noisy in ratio). */
  p99SlackMs: number;
  /** Answers a build needs in a window before its p99 is judged. */
  minSamples: number;
}

export interface RolloutOptions {
  service: string;
  /** The build to roll in; its version must differ from every running one. */
  build: ServiceBuild & { version: string };
  /** Shares of traffic for the new build, in order; the last is 100. */
  steps?: number[];
  /** How long each step holds before it is judged. */
  stepMs?: number;
  limits?: Partial<RolloutLimits>;
  etcdEndpoints: string[];
  readyTimeoutMs?: number;
  print?: (line: string) => void;
  /** Aborting it (Ctrl-C) rolls back at the end of the current step. */
  signal?: AbortSignal;
}

/** One build's answers through the gateway during a step. */
export interface WindowStats {
  answers: number;
  errors: number;
  p99Ms?: number;
}

export interface StepReport {
  share: number;
  next: WindowStats;
  previous: WindowStats;
  verdict: 'ok' | string;
}

export interface RolloutResult {
  outcome: 'upgraded' | 'rolled back';
  from: string[];
  to: string;
  steps: StepReport[];
  reason?: string;
}

const defaultLimits: RolloutLimits = { maxErrorRate: 0.05, maxP99Ratio: 2, p99SlackMs: 250, minSamples: 20 };

export async function rollOut(control: LauncherControl, options: RolloutOptions): Promise<RolloutResult> {
  const { service, build } = options;
  const steps = options.steps ?? [10, 50, 100];
  if (steps.length === 0 || steps.at(-1) !== 100 || steps.some((share) => !(share > 0 && share <= 100))) {
    throw new Error(`canary steps must be shares in (0, 100] ending at 100 (got ${steps.join(', ')})`);
  }
  const limits = { ...defaultLimits, ...options.limits };
  const print = options.print ?? ((line: string) => console.log(line));
  const say = (line: string) => print(`[upgrade] ${service}: ${line}`);
  const etcd = createEtcdClient({ endpoints: options.etcdEndpoints, timeoutMs: 5000 });
  const old = (await control.instances(service)).filter((p) => p.state !== 'failed');
  if (old.length === 0) throw new Error(`${service} has no running instance to upgrade`);
  const before = await registered(etcd, control.ns, service);
  const oldVersions = [...new Set(before.map((i) => i.version))].sort();
  if (oldVersions.includes(build.version)) throw new Error(`${service} ${build.version} is already running`);
  say(`${old.length} instance(s) of ${oldVersions.join(', ') || 'an unregistered build'} running; starting ${old.length} of ${build.version}`);

  const split = trafficKey(control.ns, service);
  const fresh = await control.launchBuild(service, build, old.length);
  const result: RolloutResult = { outcome: 'upgraded', from: oldVersions, to: build.version, steps: [] };
  const rollBack = async (reason: string): Promise<RolloutResult> => {
    say(`rolling back: ${reason}`);
    await etcd.put(split, JSON.stringify(Object.fromEntries(oldVersions.map((v) => [v, 1]))));
    await control.retire(fresh.map((p) => p.id));
    await etcd.delete(split);
    say(`rolled back: ${oldVersions.join(', ')} serves all traffic, ${build.version} retired`);
    return { ...result, outcome: 'rolled back', reason };
  };

  try {
    await waitReady(etcd, control, { version: build.version, count: fresh.length, timeoutMs: options.readyTimeoutMs ?? 90_000, service, oldVersions, oldCount: before.length });
  } catch (error) {
    return rollBack((error as Error).message);
  }
  say(`${fresh.length} instance(s) of ${build.version} ready`);

  let baselineP99: number | undefined;
  for (const share of steps) {
    const weights: TrafficSplit = { [build.version]: share };
    for (const version of oldVersions) weights[version] = (100 - share) / oldVersions.length;
    await etcd.put(split, JSON.stringify(weights));
    say(`${share}% of traffic to ${build.version}`);
    const before = await gatewaySamples(control.gatewayUrl, service);
    await sleep(options.stepMs ?? 30_000, options.signal);
    if (options.signal?.aborted) return rollBack('interrupted');
    const after = await gatewaySamples(control.gatewayUrl, service);
    const next = windowStats(before, after, [build.version]);
    const previous = windowStats(before, after, oldVersions);
    if (previous.p99Ms !== undefined && previous.answers >= limits.minSamples) baselineP99 = previous.p99Ms;
    const verdict = judge(next, baselineP99, limits);
    result.steps.push({ share, next, previous, verdict });
    say(`  ${build.version}: ${describe(next)}; ${oldVersions.join(', ')}: ${describe(previous)} -> ${verdict}`);
    if (verdict !== 'ok') return rollBack(verdict);
  }

  say(`draining ${old.map((p) => p.id).join(', ')}`);
  await control.retire(old.map((p) => p.id), oldVersions.length === 1 ? oldVersions[0] : undefined);
  await etcd.delete(split);
  say(`done: every instance runs ${build.version}`);
  return result;
}

/** 'ok', or why the new build's window is worse than allowed. */
export function judge(next: WindowStats, baselineP99: number | undefined, limits: RolloutLimits): string {
  if (next.answers > 0 && next.errors / next.answers > limits.maxErrorRate) {
    return `error rate ${percent(next.errors / next.answers)} above ${percent(limits.maxErrorRate)}`;
  }
  if (next.p99Ms !== undefined && baselineP99 !== undefined && next.answers >= limits.minSamples) {
    const allowed = Math.max(baselineP99 * limits.maxP99Ratio, baselineP99 + limits.p99SlackMs);
    if (next.p99Ms > allowed) return `p99 ${Math.round(next.p99Ms)} ms above ${Math.round(allowed)} ms (previous build ${Math.round(baselineP99)} ms)`;
  }
  return 'ok';
}

const percent = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;
const describe = (stats: WindowStats) =>
  `${stats.answers} answers, ${stats.errors} 5xx${stats.p99Ms === undefined ? '' : `, p99 ${Math.round(stats.p99Ms)} ms`}`;

/** The discovery records of `service` in namespace `ns`, whatever their health. */
export async function registered(etcd: EtcdClient, ns: string, service: string): Promise<ServiceInstance[]> {
  const { kvs } = await etcd.rangePrefix(`${servicesPrefix(ns)}${service}/`);
  return kvs.map((kv) => JSON.parse(kv.value) as ServiceInstance);
}

async function waitReady(
  etcd: EtcdClient,
  control: LauncherControl,
  { version, count, timeoutMs, service, oldVersions, oldCount }: { version: string; count: number; timeoutMs: number; service: string; oldVersions: string[]; oldCount: number },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const instances = await registered(etcd, control.ns, service);
    if (instances.filter((i) => i.version === version && i.health === 'ready').length >= count) return;
    // A build from before MERIDIAN_BUILD_VERSION registers its definition's version: the split cannot tell it apart.
    if (instances.filter((i) => oldVersions.includes(i.version)).length > oldCount) {
      throw new Error(`the new instances registered as ${oldVersions.join(', ')}, not ${version}: that build does not read MERIDIAN_BUILD_VERSION, so it cannot run beside a build of the same version`);
    }
    const failed = (await control.instances(service)).filter((p) => p.build.version === version && p.state === 'failed');
    if (failed.length > 0) throw new Error(`${failed.map((p) => p.id).join(', ')} of ${version} failed to start (see its log)`);
    if (Date.now() > deadline) throw new Error(`${version}: fewer than ${count} instance(s) ready after ${timeoutMs / 1000} s`);
    await sleep(500);
  }
}

/** A sample of the gateway's `/metrics`: one series' labels and value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of the Prometheus text format whose metric name starts with `prefix`. */
export function parseSamples(text: string, prefix: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const match = /^([\w:]+)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value.replace(/\\(.)/g, '$1');
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

async function gatewaySamples(gatewayUrl: string, service: string): Promise<Sample[]> {
  const response = await fetch(`${gatewayUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`the gateway's /metrics answered ${response.status}`);
  return parseSamples(await response.text(), 'gateway_upstream_').filter((s) => s.labels.service === service);
}

/** Answers, 5xx and p99 of `versions` between two scrapes (p99 from the histogram buckets, upper bound). */
export function windowStats(before: Sample[], after: Sample[], versions: string[]): WindowStats {
  const key = (s: Sample) => `${s.name}|${JSON.stringify(s.labels)}`;
  const earlier = new Map(before.map((s) => [key(s), s.value]));
  const delta = after
    .filter((s) => versions.includes(s.labels.version ?? ''))
    .map((s) => ({ ...s, value: s.value - (earlier.get(key(s)) ?? 0) }));
  const responses = delta.filter((s) => s.name === 'gateway_upstream_responses_total');
  const answers = responses.reduce((sum, s) => sum + s.value, 0);
  const errors = responses.filter((s) => s.labels.status_code?.startsWith('5')).reduce((sum, s) => sum + s.value, 0);
  const buckets = new Map<number, number>();
  for (const s of delta.filter((d) => d.name === 'gateway_upstream_duration_seconds_bucket')) {
    const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
  }
  const ordered = [...buckets].sort(([a], [b]) => a - b);
  const total = ordered.at(-1)?.[1] ?? 0;
  const p99Bucket = total > 0 ? ordered.find(([, count]) => count >= total * 0.99) : undefined;
  const p99Ms = p99Bucket === undefined ? undefined : Number.isFinite(p99Bucket[0]) ? p99Bucket[0] * 1000 : (ordered.at(-2)?.[0] ?? 10) * 1000;
  return { answers, errors, p99Ms };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
