import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kafkaConnection, kafkaLoginEnv, type KafkaConnection, type KafkaLoginVariables } from '@meridian/config';
import postgres from 'postgres';

/**
 * The Kafka admin's login a test acts as: KAFKA_SASL_* of env (`npm test` sets them), else the one kept
 * with the broker `npm start` runs (`<MERIDIAN_DATA_DIR or .data>/kafka/admin-credentials.json`), else none.
 */
export function kafkaAdminLogin(env: NodeJS.ProcessEnv = process.env): KafkaLoginVariables {
  if (env.KAFKA_SASL_USERNAME) return { KAFKA_SASL_MECHANISM: env.KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME: env.KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD: env.KAFKA_SASL_PASSWORD };
  const file = join(env.MERIDIAN_DATA_DIR || join(import.meta.dirname, '..', '..', '..', '.data'), 'kafka', 'admin-credentials.json');
  if (!existsSync(file)) return {};
  const { username, password } = JSON.parse(readFileSync(file, 'utf8')) as { username: string; password: string };
  return kafkaLoginEnv({ username, password });
}

/** `kafkaAdminLogin()` as env variables for a child process (only the ones set). */
export function kafkaAdminEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(Object.entries(kafkaAdminLogin(env)).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

// A test file run by itself (`node --test file`) finds the admin login like `npm test` hands it over, so the
// chassis' Kafka clients (which read KAFKA_SASL_* from env) connect in the test's process too.
if (!process.env.KAFKA_SASL_USERNAME) Object.assign(process.env, kafkaAdminLogin());

export interface InfraUrls {
  kafkaBrokers: string[];
  /** The brokers with the admin's login: spread into a Kafka client's options. */
  kafka: KafkaConnection;
  redisUrl: string;
  etcdEndpoints: string[];
  pgAdminUrl: string;
}

const list = (value: string): string[] => value.split(',').map((item) => item.trim()).filter(Boolean);

/** Infrastructure addresses from env (as set by `npm test`), with the design.md defaults. */
export function infra(env: NodeJS.ProcessEnv = process.env): InfraUrls {
  const kafkaBrokers = list(env.KAFKA_BROKERS || '127.0.0.1:9092');
  return {
    kafkaBrokers,
    kafka: kafkaConnection(kafkaBrokers, kafkaAdminLogin(env)),
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
    ...kafkaAdminEnv(),
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

