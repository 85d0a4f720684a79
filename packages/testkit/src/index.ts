import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

export interface InfraUrls {
  kafkaBrokers: string[];
  redisUrl: string;
  etcdEndpoints: string[];
  pgAdminUrl: string;
}

const list = (value: string): string[] => value.split(',').map((item) => item.trim()).filter(Boolean);

/** Infrastructure addresses from env (as set by `npm test`), with the design.md defaults. */
export function infra(env: NodeJS.ProcessEnv = process.env): InfraUrls {
  return {
    kafkaBrokers: list(env.KAFKA_BROKERS || '127.0.0.1:9092'),
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    etcdEndpoints: list(env.ETCD_ENDPOINTS || 'http://127.0.0.1:2379'),
    pgAdminUrl: env.PG_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  };
}

/**
 * The env a service started by a test runs with: its database and namespace, the infrastructure of
 * `infra()`, a free port and `LOG_LEVEL` (default warn); `overrides` win.
 */
export function serviceEnv(options: { databaseUrl: string; ns: string }, overrides: Record<string, string> = {}): Record<string, string> {
  const { kafkaBrokers, redisUrl, etcdEndpoints } = infra();
  return {
    DATABASE_URL: options.databaseUrl,
    MERIDIAN_NAMESPACE: options.ns,
    KAFKA_BROKERS: kafkaBrokers.join(','),
    REDIS_URL: redisUrl,
    ETCD_ENDPOINTS: etcdEndpoints.join(','),
    PORT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    ...overrides,
  };
}

/** The running platform's gateway (set by the `system` stage of `npm test`). */
export function gatewayUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.GATEWAY_URL || 'http://127.0.0.1:8080';
}

/**
 * A name unique across parallel runs, usable as a database, topic, consumer group or key:
 * lowercase letters, digits and underscores only.
 */
export function uniqueName(prefix: string): string {
  const safePrefix = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return `${safePrefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export interface TempDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(adminUrl: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

/** Creates a fresh, empty database on the admin server; `drop()` removes it (closing any connections). */
export async function createTempDatabase(prefix = 'test', adminUrl = infra().pgAdminUrl): Promise<TempDatabase> {
  const name = uniqueName(prefix);
  await withAdmin(adminUrl, (sql) => sql.unsafe(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => withAdmin(adminUrl, (sql) => sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {}),
  };
}

export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  message?: string;
}

/**
 * Polls `fn` until it returns a truthy value (which is returned). A throw counts as "not yet";
 * on timeout the error names `message` and the last failure.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, options: WaitForOptions = {}): Promise<NonNullable<T>> {
  const { timeoutMs = 10_000, intervalMs = 100, message = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${message}${cause}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

