/**
 * End to end: orders through the whole saga (gateway -> orders -> inventory -> payments -> orders)
 * at fixed open-loop arrival rates, POST -> CONFIRMED latency, at 1 and at 3 instances per saga
 * service (inventory, orders, payments: consumer-group scale-out).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Consumer } from '@platformatic/kafka';
import { physicalTopic } from '@meridian/messaging';
import { benchKafka } from './lib/infra.ts';
import { openLoop, until } from './lib/messaging.ts';
import { api, login, seedProducts, staff, startBenchPlatform, type BenchPlatform } from './lib/platform.ts';
import { startPrivatePostgres } from './lib/postgres.ts';
import { machine, sleep } from './lib/proc.ts';
import { scratchFile } from './lib/paths.ts';
import { summarizeProfiles } from './lib/profile.ts';
import { type BenchResult, type Row, withTargets } from './lib/report.ts';
import { perSecond, ratio, summarize } from './lib/stats.ts';
import type { BenchOptions } from './options.ts';

const sagaServices = ['inventory', 'orders', 'payments'];

interface Step {
  instances: number;
  rate: number;
  seconds: number;
  posted: number;
  accepted: number;
  /** POST answers by status code (`error` when the request failed). */
  statuses: Record<string, number>;
  confirmed: number;
  cancelled: number;
  unfinished: number;
  confirmLatenciesMs: number[];
  postLatenciesMs: number[];
  /** First POST until the last confirmation. */
  windowMs: number;
  cpuSeconds: number;
  loadavg: number[];
}

type Settings = ReturnType<typeof settingsFor>;

function settingsFor(quick: boolean) {
  return {
    scales: [1, 3],
    rates: quick ? [10, 20] : [20, 40, 80, 120, 160],
    stepSeconds: quick ? 5 : 15,
    products: 20,
    // a step is sustained when nearly every order finished in the grace period and p99 stays sane
    sustained: { minFinishedShare: 0.99, maxP99Ms: 2000, graceSeconds: 20 },
    paymentProviderLatencyMs: 20,
  };
}

export async function runE2eBench({ quick, profile, log }: BenchOptions): Promise<BenchResult> {
  const before = machine();
  const settings = settingsFor(quick);
  const steps: Step[] = [];
  const notes: string[] = [];
  const profiles: NonNullable<BenchResult['profiles']> = [];
  const postgres = await startPrivatePostgres(`e2e-${randomBytes(3).toString('hex')}`);
  try {
    for (const instances of settings.scales) {
      try {
        // with --profile, the single-instance platform runs its saga services and the gateway under --cpu-prof
        const profileDir = profile && instances === 1 ? scratchFile(`profiles-e2e-${process.pid}-${Date.now()}`) : undefined;
        const scale = await runScale(instances, settings, postgres.adminUrl, log, profileDir);
        steps.push(...scale.steps);
        profiles.push(...scale.profiles);
      } catch (err) {
        notes.push(`${instances} instance(s): ${(err as Error).message}`);
        log(`failed: ${(err as Error).message}`);
      }
    }
  } finally {
    await postgres.stop();
  }

  const rows = steps.map(toRow);
  const best = (instances: number) => {
    const ok = steps.filter((s) => s.instances === instances && sustained(s, settings.sustained));
    return ok.length ? ok.reduce((a, b) => (perSecond(a.confirmed, a.windowMs) >= perSecond(b.confirmed, b.windowMs) ? a : b)) : undefined;
  };
  const [one, three] = [best(1), best(3)];
  const underTarget = (instances: number) =>
    steps.filter((s) => s.instances === instances && sustained(s, settings.sustained) && summarize(s.confirmLatenciesMs).p99 < 100);
  const fastest = (list: Step[]) => Math.max(0, ...list.map((s) => s.rate));
  notes.push(
    'latency = POST sent by the load generator -> OrderConfirmed event committed (its confirmedAt), on one clock; POST latency = until the 202',
    `payments' simulated provider answers after PAYMENT_PROVIDER_LATENCY_MS = ${settings.paymentProviderLatencyMs} ms (its default), included in every confirmation`,
    'throughput = confirmed orders / (first POST .. last confirmation); CPU s = all platform processes (7 services + gateway), not PostgreSQL, Kafka, Redis or the load generator',
    `a step counts as sustained when >= ${settings.sustained.minFinishedShare * 100}% of its orders finished within ${settings.sustained.graceSeconds} s after the last POST and p99 < ${settings.sustained.maxP99Ms} ms; the rate ladder stops at the first step that is not`,
  );
  return {
    name: 'e2e',
    description: 'orders through the saga at fixed arrival rates, 1 vs 3 instances per saga service',
    quick,
    machine: { before, after: machine() },
    settings,
    rows,
    targets: withTargets([
      { name: 'highest sustained rate with p99 < 100 ms, 1 instance (orders/s)', value: fastest(underTarget(1)) || null },
      { name: 'highest sustained rate with p99 < 100 ms, 3 instances (orders/s)', value: fastest(underTarget(3)) || null },
      { name: 'best sustained throughput, 1 instance (orders/s)', value: one ? perSecond(one.confirmed, one.windowMs) : null },
      { name: 'best sustained throughput, 3 instances (orders/s)', value: three ? perSecond(three.confirmed, three.windowMs) : null },
      { name: 'scale-out: best 3-instance / best 1-instance throughput', value: one && three ? ratio(perSecond(three.confirmed, three.windowMs), perSecond(one.confirmed, one.windowMs)) : null, atLeast: 1 },
    ]),
    notes,
    profiles: profiles.length ? profiles : undefined,
  };
}

/** Climbs the rate ladder on a fresh platform until a step is not sustained. */
async function runScale(
  instances: number,
  settings: Settings,
  pgAdminUrl: string,
  log: (line: string) => void,
  profileDir?: string,
): Promise<{ steps: Step[]; profiles: NonNullable<BenchResult['profiles']> }> {
  const counts = Object.fromEntries([['identity', 1], ['catalog', 1], ['notifications', 1], ...sagaServices.map((s) => [s, instances])]);
  log(`starting the platform with ${instances} instance(s) per saga service`);
  const platform = await startBenchPlatform({
    instances: counts,
    log,
    pgAdminUrl,
    profile: profileDir ? { services: [...sagaServices, 'gateway'], dir: profileDir } : undefined,
    env: { PAYMENT_PROVIDER_LATENCY_MS: String(settings.paymentProviderLatencyMs) },
  });
  const steps: Step[] = [];
  const processes = platform.processes();
  try {
    const customer = await prepare(platform.gatewayUrl, settings.products, log);
    const watcher = await watchOrderOutcomes(platform.ns);
    try {
      await warmUp(platform.gatewayUrl, customer, watcher, { rate: 10, seconds: 3, settleMs: 2000 });
      log('warm-up done');
      for (const rate of settings.rates) {
        const step = await runStep(platform, customer, watcher, instances, rate, settings.stepSeconds, settings.sustained.graceSeconds);
        steps.push(step);
        const latency = summarize(step.confirmLatenciesMs);
        log(`${instances}x @${rate}/s: ${step.confirmed}/${step.posted} confirmed, ${perSecond(step.confirmed, step.windowMs).toFixed(1)} orders/s, p50 ${latency.p50.toFixed(0)} ms p99 ${latency.p99.toFixed(0)} ms`);
        if (!sustained(step, settings.sustained)) break;
      }
    } finally {
      await watcher.close();
    }
  } finally {
    await platform.stop();
  }
  return { steps, profiles: profileDir ? summarizeProfiles(profileDir, processes) : [] };
}

function sustained(step: Step, limits: { minFinishedShare: number; maxP99Ms: number }): boolean {
  const finished = step.confirmed + step.cancelled;
  return step.posted > 0 && finished >= step.posted * limits.minFinishedShare && summarize(step.confirmLatenciesMs).p99 < limits.maxP99Ms;
}

function toRow(step: Step): Row {
  const confirm = summarize(step.confirmLatenciesMs);
  const post = summarize(step.postLatenciesMs);
  return {
    variant: `${step.instances}x saga services @${step.rate}/s offered`,
    kind: 'platform',
    throughput: perSecond(step.confirmed, step.windowMs),
    unit: 'orders/s',
    p50Ms: confirm.p50,
    p99Ms: confirm.p99,
    cpuSeconds: step.cpuSeconds,
    perCpuSecond: step.confirmed / step.cpuSeconds,
    details: {
      posted: step.posted,
      accepted: step.accepted,
      statuses: step.statuses,
      confirmed: step.confirmed,
      cancelled: step.cancelled,
      unfinished: step.unfinished,
      confirmP90Ms: confirm.p90,
      confirmMaxMs: confirm.max,
      postP50Ms: post.p50,
      postP99Ms: post.p99,
      loadavg: step.loadavg,
    },
  };
}

export interface Customer {
  token: string;
  productIds: string[];
  /** Signs in again (a token lives 15 minutes; a run longer than that renews it, as a real client does). */
  renew(): Promise<void>;
}

/** Products with plenty of stock and a signed-in customer, through the gateway. */
export async function prepare(gatewayUrl: string, products: number, log: (line: string) => void): Promise<Customer> {
  const staffToken = await login(gatewayUrl, staff);
  const productIds = await seedProducts(gatewayUrl, staffToken, products, 1_000_000_000);
  const credentials = { email: `customer-${randomBytes(4).toString('hex')}@bench.local`, password: 'bench-customer-password' };
  await api(`${gatewayUrl}/api/v1/auth/register`, { method: 'POST', body: { ...credentials, name: 'Bench customer' } });
  log(`seeded ${products} products and a customer`);
  const customer: Customer = {
    token: await login(gatewayUrl, credentials),
    productIds,
    async renew() {
      customer.token = await login(gatewayUrl, credentials);
    },
  };
  return customer;
}

export interface Outcome {
  type: 'OrderConfirmed' | 'OrderCancelled';
  /** When the orders service decided (confirmedAt / cancelledAt), epoch ms. */
  at: number;
}

export interface Watcher {
  outcomes: Map<string, Outcome>;
  close(): Promise<void>;
}

/** Follows `orders.events` and records each order's terminal event. */
export async function watchOrderOutcomes(ns: string): Promise<Watcher> {
  const topic = physicalTopic(ns, 'orders.events');
  const outcomes = new Map<string, Outcome>();
  const consumer = new Consumer({ clientId: `${ns}.bench-watcher`, groupId: `${ns}.bench-watcher`, ...benchKafka(), maxWaitTime: 500 });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: true });
  stream.on('data', (message) => {
    const event = JSON.parse(message.value.toString()) as { type: string; data: { orderId: string; confirmedAt?: string; cancelledAt?: string } };
    if (event.type === 'OrderConfirmed') outcomes.set(event.data.orderId, { type: event.type, at: Date.parse(event.data.confirmedAt!) });
    if (event.type === 'OrderCancelled') outcomes.set(event.data.orderId, { type: event.type, at: Date.parse(event.data.cancelledAt!) });
  });
  return {
    outcomes,
    close: async () => {
      await stream.close();
      await consumer.close();
    },
  };
}

async function placeOrder(platform: BenchPlatform, customer: Customer): Promise<{ status: number; id?: string }> {
  const { status, body } = await postOrder(platform.gatewayUrl, customer);
  return { status, id: body?.id };
}

/** POST /api/v1/orders with 1-2 random products and `tok_visa`; the answer's status, headers and body. */
export async function postOrder(gatewayUrl: string, customer: Customer): Promise<{ status: number; body?: { id?: string }; retryAfter: string | null }> {
  const pick = () => customer.productIds[Math.floor(Math.random() * customer.productIds.length)];
  const items = [...new Set([pick(), pick()])].map((productId) => ({ productId, quantity: 1 }));
  const response = await fetch(`${gatewayUrl}/api/v1/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${customer.token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify({ items, paymentToken: 'tok_visa' }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, retryAfter: response.headers.get('retry-after') };
}

/**
 * Orders until one is confirmed (the orders service's catalog projection is filled), then `rate`
 * orders/s for `seconds`, then `settleMs` of quiet.
 */
export async function warmUp(
  gatewayUrl: string,
  customer: Customer,
  watcher: Watcher,
  { rate, seconds, settleMs }: { rate: number; seconds: number; settleMs: number },
): Promise<void> {
  await until(async () => {
    const { status, body } = await postOrder(gatewayUrl, customer);
    if (status !== 202 || !body?.id) return false;
    await until(() => watcher.outcomes.has(body.id!), 15_000, 'the warm-up order', 20).catch(() => {});
    return watcher.outcomes.get(body.id)?.type === 'OrderConfirmed';
  }, 90_000, 'a first confirmed order', 500);
  await openLoop(rate, seconds, () => postOrder(gatewayUrl, customer));
  await sleep(settleMs);
}

/** What became of the accepted orders: confirmation latencies, cancellations, and when the last one was final. */
export function tallyOutcomes(watcher: Watcher, postedAt: Map<string, number>, since: number) {
  const confirmLatenciesMs: number[] = [];
  let cancelled = 0;
  let lastAt = since;
  for (const [id, sentAt] of postedAt) {
    const outcome = watcher.outcomes.get(id);
    if (!outcome) continue;
    lastAt = Math.max(lastAt, outcome.at);
    if (outcome.type === 'OrderConfirmed') confirmLatenciesMs.push(outcome.at - sentAt);
    else cancelled += 1;
  }
  return { confirmLatenciesMs, cancelled, lastAt };
}

async function runStep(platform: BenchPlatform, customer: Customer, watcher: Watcher, instances: number, rate: number, seconds: number, graceSeconds: number): Promise<Step> {
  const postedAt = new Map<string, number>();
  const postLatenciesMs: number[] = [];
  let posted = 0;
  const statuses: Record<string, number> = {};
  const cpuBefore = platform.cpuSeconds();
  const startedAt = Date.now();
  await openLoop(rate, seconds, async () => {
    posted += 1;
    const sentAt = Date.now();
    const begun = performance.now();
    const { status, id } = await placeOrder(platform, customer).catch(() => ({ status: 'error', id: undefined }));
    postLatenciesMs.push(performance.now() - begun);
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status === 202 && id) postedAt.set(id, sentAt);
  });
  const ids = [...postedAt.keys()];
  await until(() => ids.every((id) => watcher.outcomes.has(id)), graceSeconds * 1000, 'every order to finish', 50).catch(() => {});
  const cpuSeconds = platform.cpuSeconds() - cpuBefore;
  const { confirmLatenciesMs, cancelled, lastAt } = tallyOutcomes(watcher, postedAt, startedAt);
  const step: Step = {
    instances,
    rate,
    seconds,
    posted,
    accepted: ids.length,
    statuses,
    confirmed: confirmLatenciesMs.length,
    cancelled,
    unfinished: ids.length - confirmLatenciesMs.length - cancelled,
    confirmLatenciesMs,
    postLatenciesMs,
    windowMs: lastAt - startedAt,
    cpuSeconds,
    loadavg: machine().loadavg,
  };
  await sleep(1000); // let stragglers settle before the next step
  return step;
}
