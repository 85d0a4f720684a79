import { Redis } from 'ioredis';
import { Counter, register as defaultRegistry, type Registry } from 'prom-client';

export interface Logger {
  warn(obj: object, msg?: string): void;
}

export interface CacheOptions {
  redis: Redis;
  /** Namespaces every key: `<prefix>:<key>`, e.g. `dev:catalog`. */
  prefix: string;
  defaultTtlSeconds: number;
  /** The `cache` label on the metrics; defaults to `prefix`. */
  name?: string;
  registry?: Registry;
  logger?: Logger;
}

export interface Cache {
  /** Cache-aside read of a JSON value; concurrent calls for one key share one loader call. */
  getOrLoad<T>(key: string, loader: () => Promise<T>, ttlSeconds?: number): Promise<T>;
  del(key: string): Promise<void>;
  /** Removes every key starting with `keyPrefix` (SCAN + UNLINK). */
  delByPrefix(keyPrefix: string): Promise<void>;
}

/**
 * An ioredis client that fails fast while Redis is down (no offline queue, short timeouts),
 * so a cache in front of it degrades to its loaders instead of stalling requests.
 */
export function createRedisClient(url: string, logger?: Logger): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
    connectTimeout: 1000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let lastLoggedAt = 0;
  redis.on('error', (err) => {
    // ioredis emits once per reconnect attempt; log at most every 10 s.
    if (Date.now() - lastLoggedAt < 10_000) return;
    lastLoggedAt = Date.now();
    logger?.warn({ err }, 'redis unavailable');
  });
  return redis;
}

function counter(registry: Registry, name: string, help: string, labelNames: string[]): Counter<string> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<string>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

export function createCache({
  redis,
  prefix,
  defaultTtlSeconds,
  name = prefix,
  registry = defaultRegistry,
  logger,
}: CacheOptions): Cache {
  const requests = counter(registry, 'cache_requests_total', 'Cache lookups by result', ['cache', 'result']);
  const errors = counter(registry, 'cache_errors_total', 'Redis failures absorbed by the cache', ['cache']);
  const inFlight = new Map<string, Promise<unknown>>();
  const fullKey = (key: string): string => `${prefix}:${key}`;

  function absorb(err: unknown, operation: string, key: string): void {
    errors.inc({ cache: name });
    logger?.warn({ err, cache: name, operation, key }, 'cache operation failed; continuing without cache');
  }

  async function lookup<T>(key: string, loader: () => Promise<T>, ttlSeconds: number): Promise<T> {
    try {
      const cached = await redis.get(fullKey(key));
      if (cached !== null) {
        requests.inc({ cache: name, result: 'hit' });
        return JSON.parse(cached) as T;
      }
    } catch (err) {
      absorb(err, 'get', key);
    }
    requests.inc({ cache: name, result: 'miss' });
    const value = await loader();
    if (value !== undefined) {
      try {
        await redis.set(fullKey(key), JSON.stringify(value), 'EX', ttlSeconds);
      } catch (err) {
        absorb(err, 'set', key);
      }
    }
    return value;
  }

  return {
    getOrLoad<T>(key: string, loader: () => Promise<T>, ttlSeconds = defaultTtlSeconds): Promise<T> {
      const pending = inFlight.get(key);
      if (pending) return pending as Promise<T>;
      const flight = lookup(key, loader, ttlSeconds).finally(() => inFlight.delete(key));
      inFlight.set(key, flight);
      return flight;
    },

    async del(key) {
      try {
        await redis.unlink(fullKey(key));
      } catch (err) {
        absorb(err, 'del', key);
      }
    },

    async delByPrefix(keyPrefix) {
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${escapeGlob(fullKey(keyPrefix))}*`, 'COUNT', 200);
          if (keys.length > 0) await redis.unlink(...keys);
          cursor = next;
        } while (cursor !== '0');
      } catch (err) {
        absorb(err, 'delByPrefix', keyPrefix);
      }
    },
  };
}
