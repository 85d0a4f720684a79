/**
 * HTTP: bare node:http vs bare Fastify vs a product read through the gateway served from the
 * catalog's Redis cache, all with the same autocannon settings and the same response body,
 * interleaved round by round; `redis-benchmark` GET of the cached product is the cache's ceiling.
 */
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { httpLoad, type HttpLoadResult } from './lib/load.ts';
import { infraEnv } from './lib/infra.ts';
import { api, login, seedProducts, staff, startBenchPlatform, type BenchPlatform } from './lib/platform.ts';
import { machine, runCommand, startNodeServer, type NodeServer } from './lib/proc.ts';
import { repoRoot, scratchFile } from './lib/paths.ts';
import { summarizeProfiles } from './lib/profile.ts';
import type { BenchResult, Row } from './lib/report.ts';
import { withTargets } from './lib/report.ts';
import { ratio, round } from './lib/stats.ts';
import type { BenchOptions } from './options.ts';

interface Target {
  variant: string;
  kind: Row['kind'];
  url: string;
  cpu: () => number;
  rounds: HttpLoadResult[];
}

export async function runHttpBench({ quick, profile, log }: BenchOptions): Promise<BenchResult> {
  const before = machine();
  const settings = { connections: 50, pipelining: 1, durationSeconds: quick ? 3 : 10, rounds: quick ? 1 : 3, warmupSeconds: quick ? 1 : 3 };
  const notes: string[] = [];
  const servers: NodeServer[] = [];
  let platform: BenchPlatform | undefined;
  let cacheKey: string | undefined;
  let body = JSON.stringify({ id: '00000000-0000-4000-8000-000000000000', sku: 'BENCH-0', name: 'Bench product', description: 'A product for the benchmarks' });
  const targets: Target[] = [];
  const profileDir = scratchFile(`profiles-http-${process.pid}-${Date.now()}`);
  try {
    let gatewayProductUrl: string | undefined;
    let catalogUrl: string | undefined;
    let productPath: string | undefined;
    try {
      platform = await startBenchPlatform({ instances: { identity: 1, catalog: 1 }, log, profile: profile ? { services: ['gateway', 'catalog'], dir: profileDir } : undefined });
      const token = await login(platform.gatewayUrl, staff);
      const [productId] = await seedProducts(platform.gatewayUrl, token, 1);
      gatewayProductUrl = `${platform.gatewayUrl}/api/v1/products/${productId}`;
      productPath = `/api/v1/products/${productId}`;
      catalogUrl = await instanceUrl(platform.gatewayUrl, 'catalog');
      body = JSON.stringify((await api(gatewayProductUrl)).body); // this first read fills the cache
      cacheKey = `${platform.ns}:catalog:product:${productId}`;
    } catch (err) {
      notes.push(`gateway variant skipped: ${(err as Error).message}`);
      await platform?.stop();
      platform = undefined;
    }
    const env = { ...process.env, BENCH_BODY: body };
    for (const [variant, script] of [['node:http', 'node-http.ts'], ['fastify', 'fastify.ts']] as const) {
      const server = await startNodeServer(join(repoRoot, 'bench', 'servers', script), { env, logFile: scratchFile(`http-${script}.log`) });
      servers.push(server);
      targets.push({ variant, kind: 'baseline', url: `${server.announcement.url}/api/v1/products/bench`, cpu: server.cpuSeconds, rounds: [] });
    }
    if (platform && gatewayProductUrl) {
      const running = platform;
      const cpu = () => running.cpuSeconds(['gateway', 'catalog']);
      targets.push({ variant: 'gateway -> catalog (Redis hit)', kind: 'platform', url: gatewayProductUrl, cpu, rounds: [] });
      if (catalogUrl && productPath) {
        // The same read sent straight to the catalog instance: what the gateway hop adds is the difference.
        targets.push({ variant: 'catalog direct (Redis hit)', kind: 'baseline', url: `${catalogUrl}${productPath}`, cpu: () => running.cpuSeconds(['catalog']), rounds: [] });
        // A stock-parts chain in front of the same catalog: Fastify + @fastify/reply-from.
        const proxy = await startNodeServer(join(repoRoot, 'bench', 'servers', 'reply-from.ts'), { env: { ...env, BENCH_UPSTREAM: catalogUrl }, logFile: scratchFile('http-reply-from.log') });
        servers.push(proxy);
        targets.push({
          variant: '@fastify/reply-from -> catalog (Redis hit)',
          kind: 'baseline',
          url: `${proxy.announcement.url}${productPath}`,
          cpu: () => proxy.cpuSeconds() + running.cpuSeconds(['catalog']),
          rounds: [],
        });
      }
    }

    for (const target of targets) {
      await httpLoad({ url: target.url, connections: settings.connections, durationSeconds: settings.warmupSeconds }, target.cpu);
    }
    for (let round = 1; round <= settings.rounds; round++) {
      for (const target of targets) {
        const result = await httpLoad({ url: target.url, connections: settings.connections, durationSeconds: settings.durationSeconds }, target.cpu);
        log(`round ${round} ${target.variant}: ${Math.round(result.requestsPerSecond)} req/s p99 ${result.p99Ms} ms`);
        target.rounds.push(result);
      }
    }
    const redisRow = await redisCeiling(cacheKey, body, quick, log);
    const running = platform;
    platform = undefined;
    const profiles = running ? await stopAndSummarize(running, profile ? profileDir : undefined) : undefined;

    const rows: Row[] = [redisRow, ...targets.map(toRow)];
    const byVariant = (variant: string) => rows.find((row) => row.variant === variant)?.throughput ?? Number.NaN;
    const gateway = targets.find((t) => t.kind === 'platform');
    notes.push(
      `response body ${Buffer.byteLength(body)} bytes, identical for all three servers (the catalog's product JSON)`,
      'CPU s = server-side processes only (gateway + catalog for the platform row; Redis not included); autocannon runs in the bench process',
    );
    return {
      name: 'http',
      description: 'bare node:http vs bare Fastify vs gateway-routed cached product read',
      quick,
      machine: { before, after: machine() },
      settings,
      rows,
      targets: withTargets([
        { name: 'gateway cached read / bare Fastify (req/s)', value: gateway ? ratio(byVariant(gateway.variant), byVariant('fastify')) : null, atLeast: 0.5 },
        { name: 'gateway cached read / the same read straight to catalog (req/s)', value: gateway ? ratio(byVariant(gateway.variant), byVariant('catalog direct (Redis hit)')) : null, atLeast: 0.6 },
        { name: 'gateway cached read / @fastify/reply-from in front of catalog (req/s)', value: gateway ? ratio(byVariant(gateway.variant), byVariant('@fastify/reply-from -> catalog (Redis hit)')) : null, atLeast: 1 },
        { name: 'bare Fastify / node:http (req/s)', value: ratio(byVariant('fastify'), byVariant('node:http')) },
      ]),
      notes,
      profiles,
    };
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await platform?.stop();
  }
}

/** The URL of a ready instance of `service`, from the gateway's aggregate health. */
async function instanceUrl(gatewayUrl: string, service: string): Promise<string | undefined> {
  const health = (await (await fetch(`${gatewayUrl}/healthz`)).json()) as { services: { service: string; instances: { url: string; health: string }[] }[] };
  return health.services.find((s) => s.service === service)?.instances.find((i) => i.health === 'ready')?.url;
}

/** Stops the platform (profiles are written when the processes exit) and summarises the profiles. */
async function stopAndSummarize(platform: BenchPlatform, dir: string | undefined) {
  const processes = platform.processes();
  await platform.stop();
  return dir ? summarizeProfiles(dir, processes) : undefined;
}

function toRow(target: Target): Row {
  const requests = target.rounds.reduce((sum, r) => sum + r.requests, 0);
  const seconds = target.rounds.reduce((sum, r) => sum + r.seconds, 0);
  const cpuSeconds = target.rounds.reduce((sum, r) => sum + r.serverCpuSeconds, 0);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return {
    variant: target.variant,
    kind: target.kind,
    throughput: requests / seconds,
    unit: 'req/s',
    p50Ms: mean(target.rounds.map((r) => r.p50Ms)),
    p99Ms: mean(target.rounds.map((r) => r.p99Ms)),
    cpuSeconds,
    perCpuSecond: requests / cpuSeconds,
    details: {
      rounds: target.rounds.map((r) => ({ reqPerSec: round(r.requestsPerSecond), p50Ms: r.p50Ms, p99Ms: r.p99Ms, errors: r.errors, non2xx: r.non2xx })),
    },
  };
}

/**
 * `redis-benchmark` GETs of the cached product key (the `-t get` test aimed at the key the catalog
 * really reads, so the value size matches); without a platform it GETs a key of our own holding the same body.
 */
async function redisCeiling(cacheKey: string | undefined, body: string, quick: boolean, log: (line: string) => void): Promise<Row> {
  const { REDIS_URL } = infraEnv();
  const redisUrl = new URL(REDIS_URL);
  const ownKey = cacheKey ? undefined : `bench_${process.pid}:product`;
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  await redis.connect();
  try {
    if (ownKey) await redis.set(ownKey, body, 'EX', 600);
    const requests = quick ? 50_000 : 300_000;
    const result = await runCommand(
      'redis-benchmark',
      ['-h', redisUrl.hostname, '-p', redisUrl.port || '6379', '-c', '50', '-n', String(requests), '--csv', 'GET', cacheKey ?? ownKey!],
      { timeoutMs: 120_000 },
    );
    if (result.code !== 0) throw new Error(`redis-benchmark failed: ${result.stderr || result.stdout}`);
    // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    const values = result.stdout.trim().split('\n').at(-1)!.split(',').map((v) => v.replaceAll('"', ''));
    const [rps, , , p50, , p99] = values.slice(1).map(Number);
    log(`redis-benchmark GET: ${rps} req/s`);
    return {
      variant: 'redis-benchmark GET (cache ceiling)',
      kind: 'ceiling',
      throughput: rps,
      unit: 'req/s',
      p50Ms: p50,
      p99Ms: p99,
      cpuSeconds: result.cpuSeconds,
      perCpuSecond: requests / result.cpuSeconds,
      details: { requests, key: cacheKey ? 'catalog product cache key' : 'own key with the same body', cpuNote: 'CPU s of redis-benchmark (client) only' },
    };
  } finally {
    if (ownKey) await redis.del(ownKey);
    redis.disconnect();
  }
}
