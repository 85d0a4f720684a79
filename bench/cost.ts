/**
 * What an order costs the machine, on the platform as `npm start` runs it (every service and web app,
 * log shipping, tracing, metrics, Prometheus): whole-machine CPU per confirmed order at fixed open-loop
 * rates, split per process; the idle platform's CPU; the highest sustained rate; and a burst at twice
 * that rate, with what was refused and how, whether any instance left discovery's ready set, and how
 * long latency took to come back.
 */
import { createResolver } from '@meridian/discovery';
import type { Platform } from '../scripts/platform.ts';
import { postOrder, prepare, tallyOutcomes, warmUp, watchOrderOutcomes, type Customer, type Watcher } from './e2e.ts';
import { cpuBetween, sampleProcesses, type CpuWindow } from './lib/machine.ts';
import { openLoop, until } from './lib/messaging.ts';
import { withDefaultPlatform } from './lib/defaultPlatform.ts';
import { machine, ownCpuSeconds, sleep } from './lib/proc.ts';
import { type BenchResult, type Row, withTargets } from './lib/report.ts';
import { round, summarize } from './lib/stats.ts';
import type { BenchOptions } from './options.ts';

function settingsFor(quick: boolean) {
  return {
    settleSeconds: quick ? 5 : 20,
    // The broker's JVM compiles for the first minutes of traffic (a fresh one's first 15 s at 20/s: 17 ms of Kafka
    // CPU per order, 9 of them compiling; docs/benchmarks.md, session 16). `settleJit` waits out the rest.
    warmUpSeconds: quick ? 3 : 60,
    /**
     * After the warm-up, more of it in windows of this length until the JVMs' JIT compiler threads used at
     * most `jitSettledShare` of their JVM's CPU in two windows in a row (or `jitSettleMaxWindows` went by): the steps
     * then measure what an order costs a running platform, not what a young broker spends compiling.
     */
    jitSettleWindowSeconds: quick ? 3 : 10,
    jitSettledShare: 0.1,
    jitSettleMaxWindows: quick ? 2 : 12,
    idleSeconds: quick ? 10 : 30,
    /** Quiet time after the last run before idle is measured again. */
    restSeconds: quick ? 5 : 30,
    fixedRates: quick ? [20, 40] : [20, 40, 60, 80],
    // 100 between the fixed 80 and 120: a platform that sustains 100 but not 120 reads 100, not 80.
    ladder: quick ? [] : [100, 120, 160, 200, 250, 300, 400],
    stepSeconds: quick ? 8 : 20,
    /** A rate is sustained when every POST was accepted and every order was final this long after the last POST. */
    settleAfterLastPostSeconds: 10,
    overloadSeconds: quick ? 8 : 30,
    probeSeconds: quick ? 6 : 10,
    products: 20,
  };
}
type Settings = ReturnType<typeof settingsFor>;

interface Step {
  rate: number;
  posted: number;
  statuses: Record<string, number>;
  /** 503 answers that carried a Retry-After header. */
  retryAfter: number;
  accepted: string[];
  confirmed: number;
  cancelled: number;
  unfinished: number;
  /** Seconds from the last POST until the last order was final (NaN when some never were). */
  settledSeconds: number;
  confirmLatenciesMs: number[];
  cpu: CpuWindow;
  loadGeneratorCpuSeconds: number;
  loadavg: number[];
}

export async function runCostBench({ quick, log }: BenchOptions): Promise<BenchResult> {
  const before = machine();
  const settings = settingsFor(quick);
  const notes: string[] = [];
  const rows: Row[] = [];
  const result = await withDefaultPlatform(log, (platform) => measure(platform, settings, rows, notes, log));
  return { ...result, machine: { before, after: machine() }, rows, notes };
}

async function measure(platform: Platform, settings: Settings, rows: Row[], notes: string[], log: (line: string) => void) {
  await sleep(settings.settleSeconds * 1000);
  const { window: idle, platformCores: platformIdleCores } = await measureIdle('idle platform (no traffic)', settings, rows, log);

  const customer = await prepare(platform.gatewayUrl, settings.products, log);
  const watcher = await watchOrderOutcomes(platform.ns);
  const resolver = createResolver({ endpoints: platform.infra.env.ETCD_ENDPOINTS.split(','), ns: platform.ns });
  await resolver.start();
  try {
    // Traffic before anything is measured: the JIT of every process warms up, the JVMs' until their compilers are quiet.
    await warmUp(platform.gatewayUrl, customer, watcher, { rate: 20, seconds: settings.warmUpSeconds, settleMs: 3000 });
    const jitSettle = await settleJit(platform.gatewayUrl, customer, settings, log);
    notes.push(
      `after the ${settings.warmUpSeconds} s warm-up at 20/s, ${jitSettle.windows} more window(s) of ${settings.jitSettleWindowSeconds} s until the JVMs' JIT compiler threads used at most ${settings.jitSettledShare * 100}% of their JVM's CPU in two in a row: ` +
        `${jitSettle.shares.map((share) => `${Math.round(share * 100)}%`).join(', ')}${jitSettle.settled ? '' : ' (not settled; the steps include compiling)'}; each step reports what the compilers still used (jitCompilerMsPerOrder)`,
    );
    const steps: Step[] = [];
    let sustainedRate = 0;
    for (const rate of [...settings.fixedRates, ...settings.ladder]) {
      if (!settings.fixedRates.includes(rate) && steps.length > 0 && !isSustained(steps.at(-1)!, settings)) break;
      const step = await runStep(platform.gatewayUrl, customer, watcher, rate, settings.stepSeconds, settings.settleAfterLastPostSeconds + 20);
      steps.push(step);
      if (isSustained(step, settings)) sustainedRate = Math.max(sustainedRate, rate);
      rows.push(stepRow(step, idle, settings));
      const row = rows.at(-1)!;
      log(`@${rate}/s: ${step.accepted.length}/${step.posted} accepted, ${step.confirmed} confirmed, settled ${round(step.settledSeconds, 1)} s after the last POST, ${round(row.details!.machineMsPerOrder as number, 1)} ms CPU and ${row.details!.machineSwitchesPerOrder} context switches per order`);
    }
    const baseline = steps[0] ? summarize(steps[0].confirmLatenciesMs).p99 : Number.NaN;
    const overload = sustainedRate > 0 ? await runOverload(platform, customer, watcher, resolver, sustainedRate, baseline, settings, log) : undefined;
    if (overload) rows.push(overload.row);
    else notes.push('no rate was sustained, so the overload run was skipped');
    // The platform as it is most of the time: JIT done, caches warm, the bursts' work drained.
    log(`letting the platform come to rest for ${settings.restSeconds} s`);
    await sleep(settings.restSeconds * 1000);
    const { platformCores: restingCores } = await measureIdle('idle platform at rest, after the runs', settings, rows, log);

    const at = (rate: number) => rows.find((row) => row.variant === `@${rate}/s offered`)?.details?.machineMsPerOrder as number | undefined;
    const highestStep = steps.filter((step) => step.rate === sustainedRate)[0];
    const at200 = steps.find((step) => step.rate === 200);
    notes.push(
      'CPU per order = (busy core-seconds of the whole machine from /proc/stat over the step - this process (the load generator and its Kafka watcher) - the idle baseline of the same length) / confirmed orders; per process the same from /proc/<pid>/stat, grouped by platform part',
      'the step window runs from the first POST until every accepted order is final (or the grace period ends)',
      `a rate is sustained when every POST was accepted and every order was final within ${settings.settleAfterLastPostSeconds} s of the last POST`,
      `idle is measured twice: ${settings.settleSeconds} s after start (the JVMs of Kafka and Zipkin still compile: see perPartCores) and again ${settings.restSeconds} s after the last run; the CPU-per-order figures subtract the first`,
      'the platform is the default npm start configuration: every service and web app, log shipping to the logging service, tracing, metrics, Prometheus scraping through discovery',
    );
    return {
      name: 'cost',
      description: 'machine CPU per order, idle CPU, highest sustained rate and a burst at twice that rate, on the default platform',
      quick: settings.stepSeconds < 20,
      settings,
      targets: withTargets([
        { name: 'CPU per confirmed order at 40 orders/s, whole machine (ms)', value: at(40) ?? null, below: 10.000001 },
        { name: 'CPU per confirmed order at the highest sustained rate (ms)', value: highestStep ? (stepRow(highestStep, idle, settings).details!.machineMsPerOrder as number) : null, below: 7.000001 },
        { name: 'idle platform right after start, JIT still compiling (cores)', value: platformIdleCores, below: 0.050001 },
        { name: 'idle platform at rest, after the runs (cores)', value: restingCores, below: 0.050001 },
        { name: 'highest sustained rate, 1 instance per service (orders/s)', value: sustainedRate || null, atLeast: 250 },
        { name: 'POST -> CONFIRMED p99 at 200 orders/s (ms)', value: at200 ? summarize(at200.confirmLatenciesMs).p99 : null, below: 1000 },
        ...(overload?.targets ?? []),
      ]),
    };
  } finally {
    await resolver.stop();
    await watcher.close();
  }
}

/** The share of the JVMs' CPU (Kafka and Zipkin together) that their JIT compiler threads used in `window`. */
export function jitShare(window: Pick<CpuWindow, 'parts' | 'jit'>): number {
  const jvm = Object.keys(window.jit).reduce((sum, part) => sum + (window.parts[part] ?? 0), 0);
  const compiling = Object.values(window.jit).reduce((sum, seconds) => sum + seconds, 0);
  return jvm > 0 ? compiling / jvm : 0;
}

/** Warm-up at 20/s in windows until the JVMs' compilers are quiet (see `jitSettleWindowSeconds`); returns each window's share. */
async function settleJit(gatewayUrl: string, customer: Customer, settings: Settings, log: (line: string) => void) {
  const shares: number[] = [];
  while (shares.length < settings.jitSettleMaxWindows) {
    const before = sampleProcesses();
    await openLoop(20, settings.jitSettleWindowSeconds, () => postOrder(gatewayUrl, customer).catch(() => undefined));
    const share = jitShare(cpuBetween(before, sampleProcesses()));
    shares.push(share);
    log(`warm-up: the JVMs' JIT compilers used ${(share * 100).toFixed(0)}% of their CPU in the last ${settings.jitSettleWindowSeconds} s`);
    // Two quiet windows in a row: a JVM compiles in bursts, and one quiet window was followed by a step in
    // which the broker's compilers used 40% of its CPU.
    if (shares.length >= 2 && shares.slice(-2).every((one) => one <= settings.jitSettledShare)) return { windows: shares.length, shares, settled: true };
  }
  return { windows: shares.length, shares, settled: false };
}

/** The platform's CPU while nothing is asked of it, per part; pushed as a row named `variant`. */
async function measureIdle(variant: string, settings: Settings, rows: Row[], log: (line: string) => void): Promise<{ window: CpuWindow; platformCores: number }> {
  log(`measuring the idle platform for ${settings.idleSeconds} s (${variant})`);
  const idleStart = sampleProcesses();
  const idleOwn = ownCpuSeconds();
  await sleep(settings.idleSeconds * 1000);
  const idle = cpuBetween(idleStart, sampleProcesses());
  const idleOwnCores = (ownCpuSeconds() - idleOwn) / idle.seconds;
  // Everything that is not the platform (other programs on the machine, this process) is in the baseline too.
  const platformIdleCores = sumParts(idle, (part) => part !== 'other' && !part.startsWith('load generator')) / idle.seconds;
  rows.push({
    variant,
    kind: 'platform',
    throughput: 0,
    unit: 'orders/s',
    cpuSeconds: round(platformIdleCores * idle.seconds, 3),
    details: {
      platformCores: round(platformIdleCores, 4),
      machineCores: round(idle.machineCores, 4),
      loadGeneratorCores: round(idleOwnCores, 4),
      perPartCores: perSecondOf(idle),
      // Within perPartCores: the JVMs' JIT compiler threads (right after start, most of an idle broker's CPU).
      jitCompilerCores: perSecondOf(idle, 'jit'),
      machineSwitchesPerSecond: round(idle.machineSwitches / idle.seconds, 1),
      perPartSwitchesPerSecond: perSecondOf(idle, 'switches', 1),
    },
  });
  log(`idle: platform ${platformIdleCores.toFixed(3)} cores (machine ${idle.machineCores.toFixed(3)})`);
  return { window: idle, platformCores: platformIdleCores };
}

function sumParts(window: CpuWindow, keep: (part: string) => boolean): number {
  return Object.entries(window.parts).reduce((sum, [part, seconds]) => (keep(part) ? sum + seconds : sum), 0);
}

function perSecondOf(window: CpuWindow, of: 'parts' | 'switches' | 'databases' | 'jit' = 'parts', digits = 4): Record<string, number> {
  return Object.fromEntries(Object.entries(window[of]).sort((a, b) => b[1] - a[1]).map(([part, amount]) => [part, round(amount / window.seconds, digits)]));
}

/**
 * Per confirmed order, what each platform part used in the step beyond its idle rate: CPU
 * milliseconds (`parts`) or context switches (`switches`). Processes outside the platform and the
 * load generator are left out.
 */
function perOrderOf(step: Step, idle: CpuWindow, of: 'parts' | 'switches' | 'databases', scale: number, digits: number): Record<string, number> {
  const seconds = step.cpu.seconds;
  const orders = Math.max(step.confirmed, 1);
  const perPart: Record<string, number> = {};
  for (const [part, used] of Object.entries(step.cpu[of])) {
    if (part === 'other' || part.startsWith('load generator')) continue;
    perPart[part] = round(((used - ((idle[of][part] ?? 0) / idle.seconds) * seconds) / orders) * scale, digits);
  }
  return Object.fromEntries(Object.entries(perPart).sort((a, b) => b[1] - a[1]));
}

function isSustained(step: Step, settings: Settings): boolean {
  return step.accepted.length === step.posted && step.unfinished === 0 && step.settledSeconds <= settings.settleAfterLastPostSeconds;
}

function stepRow(step: Step, idle: CpuWindow, settings: Settings): Row {
  const seconds = step.cpu.seconds;
  const idleMachine = idle.machineCores * seconds;
  const workSeconds = step.cpu.machineCores * seconds - step.loadGeneratorCpuSeconds - idleMachine;
  const orders = Math.max(step.confirmed, 1);
  // Wake-ups of the whole machine (kernel threads included) less the idle rate and the load generator's own.
  const loadGeneratorSwitches = Object.entries(step.cpu.switches).reduce((sum, [part, n]) => (part.startsWith('load generator') ? sum + n : sum), 0);
  const workSwitches = step.cpu.machineSwitches - loadGeneratorSwitches - (idle.machineSwitches / idle.seconds) * seconds;
  const latency = summarize(step.confirmLatenciesMs);
  return {
    variant: `@${step.rate}/s offered`,
    kind: 'platform',
    throughput: step.confirmed / seconds,
    unit: 'orders/s',
    p50Ms: latency.p50,
    p99Ms: latency.p99,
    cpuSeconds: round(workSeconds, 2),
    perCpuSecond: round(step.confirmed / workSeconds, 1),
    details: {
      machineMsPerOrder: round((workSeconds / orders) * 1000, 2),
      perProcessMsPerOrder: perOrderOf(step, idle, 'parts', 1000, 2),
      // PostgreSQL's share split by the database its backends served: which service's statements cost it.
      postgresqlMsPerOrderByDatabase: perOrderOf(step, idle, 'databases', 1000, 2),
      // Within perProcessMsPerOrder: what the JVMs' JIT compilers used in the step, per order (no baseline taken off).
      jitCompilerMsPerOrder: Object.fromEntries(Object.entries(step.cpu.jit).map(([part, seconds]) => [part, round((seconds / orders) * 1000, 2)])),
      machineSwitchesPerOrder: round(workSwitches / orders, 1),
      perProcessSwitchesPerOrder: perOrderOf(step, idle, 'switches', 1, 1),
      machineCores: round(step.cpu.machineCores, 3),
      sustained: isSustained(step, settings),
      posted: step.posted,
      statuses: step.statuses,
      confirmed: step.confirmed,
      cancelled: step.cancelled,
      unfinished: step.unfinished,
      settledSecondsAfterLastPost: round(step.settledSeconds, 2),
      windowSeconds: round(seconds, 1),
      loadavg: step.loadavg,
    },
  };
}

/** Open-loop POSTs at `rate` for `seconds`, then waits (at most `graceSeconds`) until every accepted order is final. */
async function runStep(gatewayUrl: string, customer: Customer, watcher: Watcher, rate: number, seconds: number, graceSeconds: number, onPosted?: (id: string, at: number) => void): Promise<Step> {
  const postedAt = new Map<string, number>();
  const statuses: Record<string, number> = {};
  let posted = 0;
  let retryAfter = 0;
  const cpuBefore = sampleProcesses();
  const ownBefore = ownCpuSeconds();
  await openLoop(rate, seconds, async () => {
    posted += 1;
    const sentAt = Date.now();
    const answer = await postOrder(gatewayUrl, customer).catch(() => ({ status: 'error' as const, body: undefined, retryAfter: null }));
    statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    if (answer.status === 503 && answer.retryAfter) retryAfter += 1;
    if (answer.status === 202 && answer.body?.id) {
      postedAt.set(answer.body.id, sentAt);
      onPosted?.(answer.body.id, sentAt);
    }
  });
  const lastPost = Date.now();
  const ids = [...postedAt.keys()];
  await until(() => ids.every((id) => watcher.outcomes.has(id)), graceSeconds * 1000, 'every order to finish', 50).catch(() => {});
  const cpu = cpuBetween(cpuBefore, sampleProcesses());
  const loadGeneratorCpuSeconds = ownCpuSeconds() - ownBefore;
  const { confirmLatenciesMs, cancelled, lastAt: lastFinal } = tallyOutcomes(watcher, postedAt, lastPost);
  const unfinished = ids.length - confirmLatenciesMs.length - cancelled;
  return {
    rate,
    posted,
    statuses,
    retryAfter,
    accepted: ids,
    confirmed: confirmLatenciesMs.length,
    cancelled,
    unfinished,
    settledSeconds: unfinished > 0 ? Number.NaN : (lastFinal - lastPost) / 1000,
    confirmLatenciesMs,
    cpu,
    loadGeneratorCpuSeconds,
    loadavg: machine().loadavg,
  };
}

/**
 * Twice the sustained rate for `overloadSeconds`, then half of it for `probeSeconds`: what was refused
 * (and whether with Retry-After), whether any instance left the ready set, whether every accepted order
 * finished, how much was accepted compared with the sustainable rate, and how soon latency was normal.
 */
async function runOverload(
  platform: Platform,
  customer: Customer,
  watcher: Watcher,
  resolver: ReturnType<typeof createResolver>,
  sustainedRate: number,
  baselineP99Ms: number,
  settings: Settings,
  log: (line: string) => void,
) {
  const rate = sustainedRate * 2;
  const notReady = new Map<string, number>(); // instance -> samples in which it was not ready
  const watch = setInterval(() => {
    for (const instance of resolver.instances()) {
      if (instance.health !== 'ready') notReady.set(`${instance.service} ${instance.instanceId}`, (notReady.get(`${instance.service} ${instance.instanceId}`) ?? 0) + 1);
    }
  }, 100);
  log(`overload: ${rate}/s for ${settings.overloadSeconds} s (twice the highest sustained rate), then ${sustainedRate / 2}/s`);
  const burstStart = Date.now();
  const burst = await runStep(platform.gatewayUrl, customer, watcher, rate, settings.overloadSeconds, 0);
  const burstEnd = Date.now();
  // Right after the burst, a probe at half the sustainable rate shows when latency is back to normal.
  const probePosts = new Map<string, number>();
  const probe = await runStep(platform.gatewayUrl, customer, watcher, Math.max(1, sustainedRate / 2), settings.probeSeconds, 60, (id, at) => probePosts.set(id, at));
  // Every order accepted in the burst must still finish.
  await until(() => burst.accepted.every((id) => watcher.outcomes.has(id)), 60_000, 'the burst orders to finish', 100).catch(() => {});
  clearInterval(watch);
  const burstFinal = burst.accepted.filter((id) => watcher.outcomes.has(id));
  // Accepted throughput: orders answered 202 during the burst (and final by now), per second of the burst.
  const acceptedPerSecond = burstFinal.length / ((burstEnd - burstStart) / 1000);
  const normalMs = Number.isFinite(baselineP99Ms) ? Math.max(2 * baselineP99Ms, baselineP99Ms + 200) : 1000;
  // Recovery: from the end of the burst until the first probe order after which every probe order confirmed within normal latency.
  const probeOrders = [...probePosts].map(([id, at]) => ({ at, latency: watcher.outcomes.has(id) ? watcher.outcomes.get(id)!.at - at : Number.POSITIVE_INFINITY })).sort((a, b) => a.at - b.at);
  let recoveredAt: number | undefined;
  for (let i = probeOrders.length - 1; i >= 0 && probeOrders[i].latency <= normalMs; i--) recoveredAt = probeOrders[i].at;
  const recoverySeconds = recoveredAt === undefined ? null : Math.max(0, (recoveredAt - burstEnd) / 1000);
  const refused = burst.statuses['503'] ?? 0;
  const unfinished = burst.accepted.length - burstFinal.length;
  log(`overload: ${burst.accepted.length} accepted, ${refused} refused (503, ${burst.retryAfter} with Retry-After), ${unfinished} unfinished, ${notReady.size} instance(s) left the ready set, recovered after ${recoverySeconds ?? 'never'} s`);
  const row: Row = {
    variant: `overload @${rate}/s for ${settings.overloadSeconds} s`,
    kind: 'platform',
    throughput: acceptedPerSecond,
    unit: 'orders/s',
    p50Ms: summarize(burst.confirmLatenciesMs).p50,
    p99Ms: summarize(burst.confirmLatenciesMs).p99,
    details: {
      posted: burst.posted,
      statuses: burst.statuses,
      refusedWithRetryAfter: burst.retryAfter,
      accepted: burst.accepted.length,
      unfinished,
      acceptedAndFinishedPerSecond: round(acceptedPerSecond, 1),
      instancesThatLeftReady: Object.fromEntries(notReady),
      recoverySecondsAfterBurst: recoverySeconds,
      normalLatencyMs: round(normalMs, 0),
      probe: { rate: probe.rate, posted: probe.posted, statuses: probe.statuses, p99Ms: summarize(probe.confirmLatenciesMs).p99 },
    },
  };
  return {
    row,
    targets: [
      { name: 'overload: instances that left the ready set', value: notReady.size, below: 1 },
      { name: 'overload: share of 503 refusals with Retry-After', value: refused ? burst.retryAfter / refused : null, atLeast: 1 },
      { name: 'overload: accepted orders never final', value: unfinished, below: 1 },
      { name: 'overload: orders accepted (and final) per second of the burst / sustainable rate', value: acceptedPerSecond / sustainedRate, atLeast: 0.9 },
      { name: 'overload: seconds until latency is normal after the burst', value: recoverySeconds, below: 5.000001 },
    ],
  };
}
