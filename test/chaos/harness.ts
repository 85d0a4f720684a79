/**
 * Chaos harness: a private Kafka, etcd and Redis (so faults never touch the shared servers), the
 * shared PostgreSQL under a unique namespace (or, for a scenario that restarts it, a private cluster
 * that checks passwords), the whole platform on top, a steady order stream through the gateway and
 * the invariants every scenario checks once the fault is healed.
 */
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { waitFor } from '@meridian/testkit';
import { ensureEtcd } from '../../scripts/infra/etcd.ts';
import { ensureKafka } from '../../scripts/infra/kafka.ts';
import { ensurePostgres } from '../../scripts/infra/postgres.ts';
import { ensureRedis } from '../../scripts/infra/redis.ts';
import { ensureZipkin } from '../../scripts/infra/zipkin.ts';
import type { InfraServer } from '../../scripts/infra/server.ts';
import { freePort } from '../../scripts/lib/proc.ts';
import { startPlatform, type Platform } from '../../scripts/platform.ts';
import { databaseName, dropNamespace } from '../../scripts/provision.ts';

export { waitFor };

export const sagaServices = ['inventory', 'payments', 'orders', 'notifications'] as const;
const platformServices = ['catalog', 'gateway', 'identity', 'inventory', 'notifications', 'orders', 'payments'];
const sharedAdminUrl = process.env.PG_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** One of our own infrastructure servers, which a scenario may stop and start again (same data). */
export interface ChaosServer {
  name: string;
  address: string;
  /** What its clients need beside the address (Kafka: the admin login of this broker, KAFKA_SASL_*). */
  env: Record<string, string>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

async function restartable(name: string, address: string, ensure: () => Promise<InfraServer>): Promise<ChaosServer> {
  let server: InfraServer | undefined = await ensure();
  if (!server.started) throw new Error(`${name}: something already answers at ${address}`);
  return {
    name,
    address,
    env: server.env ?? {},
    async stop() {
      await server?.stop();
      server = undefined;
    },
    async start() {
      server ??= await ensure();
    },
  };
}

export interface Customer {
  email: string;
  token: string;
}

export interface Product {
  id: string;
  initialStock: number;
}

export interface Chaos {
  ns: string;
  platform: Platform;
  gatewayUrl: string;
  kafka: ChaosServer;
  etcd: ChaosServer;
  redis: ChaosServer;
  /** A private Zipkin every process exports its spans to, when the scenario asked for `tracing`. */
  zipkin?: ChaosServer;
  /** The private PostgreSQL cluster, when the scenario asked for `ownPostgres`. */
  postgres?: ChaosServer;
  staffToken: string;
  customers: Customer[];
  products: Product[];
  /** Admin connection to one service's database (for invariants and faults). */
  db(service: string): postgres.Sql;
  /** Base URL of a ready instance of `service` (other than `except`), read from etcd. */
  instanceUrl(service: string, except?: string): Promise<string>;
  /** Terminates every PostgreSQL connection of the namespace's service roles; returns how many. */
  dropDatabaseConnections(): Promise<number>;
  /** Sends `signal` to a service (restarted by its supervisor, with `env` merged in); expected exits are not crashes. */
  kill(service: string, signal: NodeJS.Signals, env?: Record<string, string>): void;
  /** Service exits nobody asked for since the platform was seeded (`[platform] ✖ <service> exited …` lines). */
  crashes: string[];
  /** Resolves once `service` has a ready instance other than `previousUrl` in discovery. */
  waitForRestart(service: string, previousUrl: string): Promise<void>;
  stop(options: { keepLogs: boolean }): Promise<void>;
}

export interface ChaosOptions {
  /** Extra env for every service (e.g. PAYMENT_*). */
  env?: Record<string, string>;
  /** Run a private Zipkin server (a restartable `chaos.zipkin`) and export every span to it. */
  tracing?: boolean;
  /**
   * Run the services' databases on a private PostgreSQL cluster (a restartable `chaos.postgres`, with
   * scram-sha-256 passwords, so each service logs in with its own) instead of the shared server.
   */
  ownPostgres?: boolean;
}

export const log = (line: string) => console.log(`[chaos ${new Date().toISOString().slice(11, 23)}] ${line}`);

/**
 * Starts private infra + the platform in namespace `chaos_<random>`, then seeds staff, customers and
 * products with known stock (and waits until orders knows them).
 */
export async function startChaos(options: ChaosOptions = {}): Promise<Chaos> {
  const ns = `chaos_${randomUUID().slice(0, 8)}`;
  const dir = join(tmpdir(), 'meridian-chaos', ns);
  const crashes: string[] = [];
  const expectedExits = new Map<string, number>();
  const print = (line: string) => {
    const exited = line.match(/^\[platform\] ✖ (\S+) exited/);
    if (exited) {
      const expected = expectedExits.get(exited[1]) ?? 0;
      if (expected > 0) expectedExits.set(exited[1], expected - 1);
      else crashes.push(line);
    }
    if (/^\[(platform|infra)\]/.test(line)) log(line);
  };
  const [kafkaPort, etcdPort, redisPort, gatewayPort] = [await freePort({ pair: true }), await freePort({ pair: true }), await freePort({ pair: true }), await freePort({ pair: true })];
  const adminUrl = options.ownPostgres
    ? `postgres://postgres:${randomUUID().replace(/-/g, '')}@127.0.0.1:${await freePort({ pair: true })}/postgres`
    : sharedAdminUrl;
  const infraLog = (line: string) => print(`[infra] ${line}`);
  const started: ChaosServer[] = [];
  const pools = new Map<string, postgres.Sql>();
  let platform: Platform | undefined;

  const teardown = async () => {
    await platform?.stop();
    await Promise.all([...pools.values()].map((sql) => sql.end({ timeout: 5 })));
    for (const server of started.reverse()) await server.stop().catch(() => {});
    // A private cluster goes with its data directory; on the shared server the namespace is dropped.
    if (!options.ownPostgres) await dropNamespace(adminUrl, ns).catch((error) => log(`could not drop namespace ${ns}: ${error.message}`));
  };

  try {
    const [kafka, etcd, redis, privatePostgres] = await Promise.all([
      restartable('kafka', `127.0.0.1:${kafkaPort}`, () =>
        ensureKafka({ broker: `127.0.0.1:${kafkaPort}`, dir: join(dir, 'kafka'), log: infraLog })),
      restartable('etcd', `http://127.0.0.1:${etcdPort}`, () =>
        ensureEtcd({ endpoint: `http://127.0.0.1:${etcdPort}`, dir: join(dir, 'etcd'), log: infraLog })),
      restartable('redis', `redis://127.0.0.1:${redisPort}`, () =>
        ensureRedis({ url: `redis://127.0.0.1:${redisPort}`, dir: join(dir, 'redis'), log: infraLog })),
      options.ownPostgres
        ? restartable('postgres', adminUrl, () => ensurePostgres({ url: adminUrl, dir: join(dir, 'postgres'), auth: 'password', log: infraLog }))
        : undefined,
    ]);
    started.push(kafka, etcd, redis, ...(privatePostgres ? [privatePostgres] : []));
    const zipkinUrl = options.tracing ? `http://127.0.0.1:${await freePort({ pair: true })}` : undefined;
    const zipkin = zipkinUrl
      ? await restartable('zipkin', zipkinUrl, () => ensureZipkin({ url: zipkinUrl, dir: join(dir, 'zipkin'), log: infraLog }))
      : undefined;
    if (zipkin) started.push(zipkin);
    platform = await startPlatform({
      ns,
      gatewayPort,
      print,
      env: {
        ...process.env,
        MERIDIAN_DATA_DIR: dir,
        MERIDIAN_SERVICES: platformServices.join(','),
        KAFKA_BROKERS: kafka.address,
        ...kafka.env,
        ETCD_ENDPOINTS: etcd.address,
        REDIS_URL: redis.address,
        PG_ADMIN_URL: adminUrl,
        LOG_SHIPPING: 'off',
        ...(zipkinUrl ? { ZIPKIN_URL: zipkinUrl } : {}),
        ...options.env,
      },
    });
    const running = platform;
    const db = (service: string) => {
      let sql = pools.get(service);
      if (!sql) {
        const url = new URL(adminUrl);
        url.pathname = `/${databaseName(ns, service)}`;
        sql = postgres(url.toString(), { max: 2, onnotice: () => {} });
        pools.set(service, sql);
      }
      return sql;
    };
    const instanceUrl = async (service: string, except?: string) => {
      const instances = await discoveryRecords(etcd.address, ns, service);
      const ready = instances.find((instance) => instance.health === 'ready' && instance.url !== except);
      if (!ready) throw new Error(`no ready ${service} instance in discovery`);
      return ready.url;
    };
    const gateway = running.gatewayUrl;
    // Seeding retries: right after startup the shared PostgreSQL may be short of connections.
    const seed = <T>(what: string, fn: () => Promise<T>) => waitFor(fn, { timeoutMs: 60_000, intervalMs: 1000, message: what });
    const staffToken = await seed('staff login', () =>
      login(gateway, running.staff.email, running.staff.password));
    const customers = await Promise.all([1, 2, 3, 4].map(() => seed('a customer', () => registerCustomer(gateway))));
    // Four products with ample stock and one scarce one, so some orders are rejected for stock.
    const products = await Promise.all([400, 400, 400, 400, 30].map((stock) => seed('a product', () => createProduct(gateway, staffToken, stock))));
    await waitFor(async () => {
      const [{ known }] = await db('orders')`select count(*)::int as known from catalog_products where product_id = any(${products.map((p) => p.id)})`;
      return known === products.length;
    }, { timeoutMs: 60_000, intervalMs: 250, message: 'orders to learn the seeded products' });
    // Restarts while starting up (a busy shared PostgreSQL) are the supervisor's job, not a fault under test.
    for (const crash of crashes.splice(0)) log(`(during startup) ${crash}`);

    return {
      ns,
      platform: running,
      gatewayUrl: gateway,
      kafka,
      etcd,
      redis,
      zipkin,
      postgres: privatePostgres,
      staffToken,
      customers,
      products,
      db,
      instanceUrl,
      kill(service, signal, env) {
        expectedExits.set(service, (expectedExits.get(service) ?? 0) + 1);
        running.kill(service, signal, env);
      },
      crashes,
      async dropDatabaseConnections() {
        const rows = await db('orders')`
          select pg_terminate_backend(pid) from pg_stat_activity where starts_with(usename, ${`meridian_${ns}_`})`;
        return rows.length;
      },
      async waitForRestart(service, previousUrl) {
        await waitFor(async () => {
          const instances = await discoveryRecords(etcd.address, ns, service);
          return instances.some((instance) => instance.health === 'ready' && instance.url !== previousUrl);
        }, { timeoutMs: 90_000, intervalMs: 250, message: `${service} to be ready again after the fault` });
      },
      async stop({ keepLogs }) {
        await teardown();
        for (const data of ['kafka', 'etcd', 'redis', 'zipkin', 'postgres']) rmSync(join(dir, data), { recursive: true, force: true });
        if (keepLogs) log(`service logs kept in ${running.logDir}`);
        else rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await teardown();
    log(`startup failed; logs in ${dir}`);
    throw error;
  }
}

interface InstanceRecord {
  service: string;
  url: string;
  health: string;
}

async function discoveryRecords(etcdEndpoint: string, ns: string, service: string): Promise<InstanceRecord[]> {
  const prefix = `/meridian/${ns}/services/${service}/`;
  const b64 = (value: string) => Buffer.from(value).toString('base64');
  const rangeEnd = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  const response = await fetch(`${etcdEndpoint}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: b64(prefix), range_end: b64(rangeEnd) }),
    signal: AbortSignal.timeout(2000),
  });
  const { kvs = [] } = (await response.json()) as { kvs?: { value: string }[] };
  return kvs.map(({ value }) => JSON.parse(Buffer.from(value, 'base64').toString()) as InstanceRecord);
}

/**
 * One scenario per file: starts the chaos platform before, runs `body` as the test, stops everything
 * after (keeping the service logs when the test failed).
 */
export function chaosScenario(name: string, body: (chaos: Chaos) => Promise<void>, options: ChaosOptions & { timeoutMs?: number } = {}): void {
  let chaos: Chaos | undefined;
  let failed = false;
  before(async () => {
    chaos = await startChaos(options);
  }, { timeout: 300_000 });
  after(async () => {
    // CHAOS_KEEP_LOGS=1 keeps them after a pass too, to study a recovery.
    await chaos?.stop({ keepLogs: failed || process.env.CHAOS_KEEP_LOGS === '1' });
  }, { timeout: 120_000 });
  test(name, { timeout: options.timeoutMs ?? 300_000 }, async () => {
    try {
      await body(chaos!);
    } catch (error) {
      failed = true;
      throw error;
    }
  });
}

// ---- HTTP through the gateway ----

export interface Reply {
  status: number;
  body: any;
}

export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(baseUrl + path, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body };
}

function expectStatus(reply: Reply, status: number, what: string): any {
  if (reply.status !== status) throw new Error(`${what}: expected ${status}, got ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

async function login(gateway: string, email: string, password: string): Promise<string> {
  return expectStatus(await call(gateway, 'POST', '/api/v1/auth/login', { body: { email, password } }), 200, `login ${email}`).accessToken;
}

async function registerCustomer(gateway: string): Promise<Customer> {
  const email = `chaos-${randomUUID().slice(0, 12)}@example.com`;
  const password = 'correct horse battery';
  expectStatus(await call(gateway, 'POST', '/api/v1/auth/register', { body: { email, password, name: 'Chaos Shopper' } }), 201, 'register');
  return { email, token: await login(gateway, email, password) };
}

async function createProduct(gateway: string, staffToken: string, stock: number): Promise<Product> {
  const tag = randomUUID().slice(0, 8);
  const product = expectStatus(await call(gateway, 'POST', '/api/v1/products', {
    token: staffToken,
    body: { sku: `CHAOS-${tag}`, name: `Chaos kettle ${tag}`, description: 'Made for fault injection', category: 'Chaos', priceCents: 2500, currency: 'EUR' },
  }), 201, 'create product');
  expectStatus(await call(gateway, 'PUT', `/api/v1/inventory/${product.id}`, { token: staffToken, body: { available: stock } }), 200, 'set stock');
  return { id: product.id, initialStock: stock };
}

// ---- the order stream ----

export interface StreamResult {
  /** Orders answered 202, with when. */
  accepted: { id: string; at: number }[];
  /** Orders never accepted after retrying their idempotency key for `giveUpMs`. */
  failed: number;
  /** Attempts answered with an error or not at all (retried with the same idempotency key). */
  erroredAttempts: number;
  /** Longest time between two consecutive 202 answers: how long the public API did not take orders. */
  longestAcceptGapMs: number;
}

/** A 4xx other than 429: the request itself is wrong, retrying cannot help. */
class OrderRefused extends Error {}

const paymentTokens = ['tok_visa', 'tok_visa', 'tok_visa', 'tok_visa', 'tok_decline'];
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)];
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Places `ratePerSecond` orders per second for `durationMs` (random customer, 1-2 products, 1-3
 * units, 1 in 5 with a declining card), or until `signal` aborts. Each order retries its idempotency
 * key on errors like a real client would, for up to `giveUpMs`.
 */
export async function orderStream(
  chaos: Chaos,
  { ratePerSecond = 5, durationMs, giveUpMs = 30_000, signal }: { ratePerSecond?: number; durationMs: number; giveUpMs?: number; signal?: AbortSignal },
): Promise<StreamResult> {
  const result: StreamResult = { accepted: [], failed: 0, erroredAttempts: 0, longestAcceptGapMs: 0 };
  const startedAt = Date.now();
  let lastAcceptAt = startedAt;
  const placeOne = async () => {
    const customer = pick(chaos.customers);
    const products = [pick(chaos.products), pick(chaos.products)].filter((p, i, all) => all.indexOf(p) === i);
    const body = { items: products.map((p) => ({ productId: p.id, quantity: 1 + Math.floor(Math.random() * 3) })), paymentToken: pick(paymentTokens) };
    const headers = { 'idempotency-key': randomUUID() };
    const deadline = Date.now() + giveUpMs;
    while (Date.now() < deadline) {
      try {
        const reply = await call(chaos.gatewayUrl, 'POST', '/api/v1/orders', { token: customer.token, body, headers, timeoutMs: 5000 });
        if (reply.status === 202) {
          const now = Date.now();
          result.longestAcceptGapMs = Math.max(result.longestAcceptGapMs, now - lastAcceptAt);
          lastAcceptAt = Math.max(lastAcceptAt, now);
          result.accepted.push({ id: reply.body.id, at: now });
          return;
        }
        if (reply.status < 500 && reply.status !== 429) throw new OrderRefused(`order refused: ${reply.status} ${JSON.stringify(reply.body)}`);
      } catch (error) {
        if (error instanceof OrderRefused) throw error;
      }
      result.erroredAttempts += 1;
      await sleep(500 + Math.random() * 500);
    }
    result.failed += 1;
  };
  const inFlight: Promise<void>[] = [];
  for (let i = 0; Date.now() - startedAt < durationMs && !signal?.aborted; i++) {
    inFlight.push(placeOne());
    await sleep(Math.max(0, startedAt + ((i + 1) * 1000) / ratePerSecond - Date.now()));
  }
  await Promise.all(inFlight);
  return result;
}

/** Catalog reads through the gateway (a product by id, or a page of the category) until `stop()`. */
export function catalogReads(chaos: Chaos, { intervalMs = 100 } = {}) {
  const results: { at: number; status: number }[] = [];
  let stopped = false;
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      const path = i % 3 === 2 ? '/api/v2/products?category=Chaos' : `/api/v2/products/${pick(chaos.products).id}`;
      const at = Date.now();
      try {
        results.push({ at, status: (await call(chaos.gatewayUrl, 'GET', path, { timeoutMs: 5000 })).status });
      } catch {
        results.push({ at, status: 0 }); // no answer
      }
      await sleep(Math.max(0, at + intervalMs - Date.now()));
    }
  })();
  return {
    results,
    /** Reads started in [from, to) that did not answer 200. */
    failedBetween: (from: number, to: number) => results.filter((r) => r.at >= from && r.at < to && r.status !== 200),
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

// ---- invariants ----

export interface Settled {
  orders: number;
  confirmed: number;
  cancelled: number;
  cancelReasons: Record<string, number>;
  /** From the end of the stream until every invariant held. */
  settleMs: number;
}

const finalStates = ['CONFIRMED', 'CANCELLED'];

/**
 * Waits until the system is at rest (no PENDING order, no held reservation, every outbox published,
 * one notification per final order), then checks: every accepted order is final (and none needed the
 * saga timeout), no event had a double effect, stock is conserved, no service logged an unhandled error.
 */
export async function checkInvariants(chaos: Chaos, stream: StreamResult, { timeoutMs = 120_000 } = {}): Promise<Settled> {
  const startedAt = Date.now();
  const orders = chaos.db('orders');
  const inventory = chaos.db('inventory');
  const payments = chaos.db('payments');
  const notifications = chaos.db('notifications');

  const atRest = async () => {
    const [{ pending }] = await orders`select count(*)::int as pending from orders where status = 'PENDING'`;
    if (pending > 0) return `${pending} order(s) PENDING`;
    const [{ held }] = await inventory`select count(*)::int as held from reservations where status = 'reserved'`;
    if (held > 0) return `${held} reservation(s) held`;
    for (const service of sagaServices) {
      const [{ backlog }] = await chaos.db(service)`select count(*)::int as backlog from outbox where published_at is null`;
      if (backlog > 0) return `${service} outbox backlog ${backlog}`;
    }
    const [{ total }] = await orders`select count(*)::int as total from orders`;
    const [{ notified }] = await notifications`select count(distinct order_id)::int as notified from notifications`;
    if (notified < total) return `${total - notified} final order(s) without notification`;
    return 'ok';
  };
  let state = '';
  try {
    await waitFor(async () => (state = await atRest()) === 'ok', { timeoutMs, intervalMs: 500, message: 'the saga to come to rest' });
  } catch (error) {
    const recent = problemLines(chaos.platform.logDir).slice(-20);
    throw new Error(`${(error as Error).message}; last state: ${state}\nlast warnings and errors of the services:\n${recent.join('\n')}`);
  }
  const settleMs = Date.now() - startedAt;

  const all = await orders<{ id: string; status: string; reason: string | null }[]>`select id, status, reason from orders`;
  const byId = new Map(all.map((o) => [o.id, o]));
  const missing = stream.accepted.map((order) => order.id).filter((id) => !byId.has(id));
  if (missing.length > 0) throw new Error(`accepted orders missing from the orders database: ${missing.join(', ')}`);
  const notFinal = all.filter((o) => !finalStates.includes(o.status));
  if (notFinal.length > 0) throw new Error(`orders not final: ${JSON.stringify(notFinal)}`);
  const timedOut = all.filter((o) => o.reason === 'saga_timeout');
  if (timedOut.length > 0) throw new Error(`${timedOut.length} order(s) were only finished by the saga timeout`);

  // No double effect: each service emitted each per-order event at most once, and one outcome per order.
  for (const service of ['orders', 'inventory', 'payments']) {
    const doubles = await chaos.db(service)`
      select key, type, count(*)::int as n from outbox where type <> 'StockLevelChanged' group by key, type having count(*) > 1`;
    if (doubles.length > 0) throw new Error(`${service} emitted events twice: ${JSON.stringify(doubles)}`);
  }
  const outcomes = await orders<{ key: string; n: number }[]>`
    select key, count(*)::int as n from outbox where type in ('OrderConfirmed', 'OrderCancelled') group by key`;
  if (outcomes.length !== all.length || outcomes.some((o) => o.n !== 1)) {
    throw new Error(`expected exactly one outcome event for each of ${all.length} orders, got ${outcomes.length}`);
  }
  const decided = await inventory<{ key: string }[]>`
    select key from outbox where type in ('StockReserved', 'StockRejected') group by key having count(*) > 1`;
  if (decided.length > 0) throw new Error(`orders both reserved and rejected: ${JSON.stringify(decided)}`);
  const paid = await payments<{ key: string }[]>`
    select key from outbox where type in ('PaymentAuthorized', 'PaymentDeclined') group by key having count(*) > 1`;
  if (paid.length > 0) throw new Error(`orders both authorized and declined: ${JSON.stringify(paid)}`);
  const perOrderNotes = await notifications<{ order_id: string; n: number }[]>`
    select order_id, count(*)::int as n from notifications group by order_id having count(*) <> 1`;
  if (perOrderNotes.length > 0) throw new Error(`orders with more than one notification: ${JSON.stringify(perOrderNotes)}`);

  // Reservations agree with outcomes: committed exactly for confirmed orders.
  const reservations = await inventory<{ order_id: string; status: string }[]>`select order_id, status from reservations`;
  const committed = new Set(reservations.filter((r) => r.status === 'committed').map((r) => r.order_id));
  const confirmedIds = all.filter((o) => o.status === 'CONFIRMED').map((o) => o.id);
  const uncommitted = confirmedIds.filter((id) => !committed.has(id));
  const wronglyCommitted = [...committed].filter((id) => byId.get(id)?.status !== 'CONFIRMED');
  if (uncommitted.length > 0 || wronglyCommitted.length > 0) {
    throw new Error(`reservations disagree with orders: confirmed but not committed ${uncommitted.join(',')}; committed but not confirmed ${wronglyCommitted.join(',')}`);
  }

  // Stock is conserved: initial = available + reserved + sold (units of confirmed orders).
  const sold = await orders<{ product_id: string; units: number }[]>`
    select l.product_id, sum(l.quantity)::int as units from order_lines l join orders o on o.id = l.order_id
    where o.status = 'CONFIRMED' group by l.product_id`;
  const soldOf = new Map(sold.map((s) => [s.product_id, s.units]));
  const stock = await inventory<{ product_id: string; available: number; reserved: number }[]>`
    select product_id, available, reserved from stock where product_id = any(${chaos.products.map((p) => p.id)})`;
  for (const product of chaos.products) {
    const level = stock.find((s) => s.product_id === product.id);
    const units = soldOf.get(product.id) ?? 0;
    if (!level || level.available + level.reserved + units !== product.initialStock || level.reserved !== 0) {
      throw new Error(`stock of ${product.id} not conserved: initial ${product.initialStock}, now ${JSON.stringify(level)}, sold ${units}`);
    }
  }

  if (chaos.crashes.length > 0) throw new Error(`services exited unexpectedly:\n${chaos.crashes.join('\n')}`);
  const unhandled = unhandledErrors(chaos.platform.logDir);
  if (unhandled.length > 0) throw new Error(`services logged unhandled errors:\n${unhandled.join('\n')}`);

  const cancelReasons: Record<string, number> = {};
  for (const o of all) if (o.status === 'CANCELLED') cancelReasons[o.reason ?? ''] = (cancelReasons[o.reason ?? ''] ?? 0) + 1;
  return { orders: all.length, confirmed: confirmedIds.length, cancelled: all.length - confirmedIds.length, cancelReasons, settleMs };
}

const unhandledPattern = /uncaughtException|unhandledRejection|UnhandledPromiseRejection|"level":("fatal"|60)|^Node\.js v\d+/;
const problemPattern = /"level":("warn"|"error"|40\b|50\b)/;

/** The lines of every service log that match `pattern`, each with its file and its time (when it has one). */
function logLines(logDir: string, pattern: RegExp, width: number): { time: string; text: string }[] {
  if (!existsSync(logDir)) return [];
  return readdirSync(logDir)
    .filter((file) => file.endsWith('.log'))
    .flatMap((file) => readFileSync(join(logDir, file), 'utf8').split('\n')
      .filter((line) => pattern.test(line))
      .map((line) => ({ time: line.match(/"time":"([^"]+)"/)?.[1] ?? '', text: `${file}: ${line.slice(0, width)}` })));
}

/** Lines of the service logs that show an unhandled error or a fatal log (`service.log: line`). */
export function unhandledErrors(logDir: string): string[] {
  return logLines(logDir, unhandledPattern, 500).map((line) => line.text);
}

/** Warning and error lines of the service logs (`service.log: line`), oldest first, to explain a scenario that did not settle. */
export function problemLines(logDir: string): string[] {
  return logLines(logDir, problemPattern, 300).sort((a, b) => a.time.localeCompare(b.time)).map((line) => line.text);
}

// ---- metrics ----

/** Sum of the samples of `name` whose labels include `labels`, from a Prometheus text page. */
export function metricValue(page: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of page.split('\n')) {
    const match = line.match(/^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/);
    if (!match || match[1] !== name) continue;
    const text = match[2] ?? '';
    if (Object.entries(labels).every(([key, value]) => text.includes(`${key}="${value}"`))) sum += Number(match[3]);
  }
  return sum;
}

export async function metricsOf(chaos: Chaos, service: string): Promise<string> {
  const response = await fetch(`${await chaos.instanceUrl(service)}/metrics`, { signal: AbortSignal.timeout(5000) });
  return response.text();
}

/** One line summarising a scenario, for the report in docs/resilience.md. */
export function report(scenario: string, numbers: Record<string, unknown>): void {
  log(`RESULT ${scenario} ${JSON.stringify(numbers)}`);
}
