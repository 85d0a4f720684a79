import { after, before, describe, test } from 'node:test';
import { once } from 'node:events';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { infra, uniqueName } from '@meridian/testkit';
import { createCache, createRedisClient } from '../src/index.ts';

const redis = createRedisClient(infra().redisUrl);
before(async () => {
  if (redis.status !== 'ready') await once(redis, 'ready');
});
after(() => redis.quit());

async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const { values } = await registry.getSingleMetric(name)!.get();
  const match = values.find((value) => Object.entries(labels).every(([k, v]) => value.labels[k] === v));
  return match?.value ?? 0;
}

function newCache(defaultTtlSeconds = 60) {
  const prefix = uniqueName('cache');
  const registry = new Registry();
  const cache = createCache({ redis, prefix, defaultTtlSeconds, registry });
  return { cache, prefix, registry };
}

describe('cache against real Redis', () => {
  test('50 concurrent getOrLoad calls share one loader call; the next call is a hit', async () => {
    const { cache, prefix, registry } = newCache();
    let loads = 0;
    const loader = async () => {
      loads++;
      await sleep(50);
      return { id: 'p1', price: 1250 };
    };

    const results = await Promise.all(Array.from({ length: 50 }, () => cache.getOrLoad('product:p1', loader)));
    assert.equal(loads, 1);
    for (const result of results) assert.deepEqual(result, { id: 'p1', price: 1250 });
    assert.equal(await redis.get(`${prefix}:product:p1`), JSON.stringify({ id: 'p1', price: 1250 }));

    assert.deepEqual(await cache.getOrLoad('product:p1', loader), { id: 'p1', price: 1250 });
    assert.equal(loads, 1);
    assert.equal(await metric(registry, 'cache_requests_total', { cache: prefix, result: 'miss' }), 1);
    assert.equal(await metric(registry, 'cache_requests_total', { cache: prefix, result: 'hit' }), 1);
  });

  test('entries expire after their TTL; the default TTL applies when none is given', async () => {
    const { cache, prefix } = newCache(120);
    await cache.getOrLoad('default', async () => 'x');
    const defaultTtl = await redis.ttl(`${prefix}:default`);
    assert.ok(defaultTtl > 100 && defaultTtl <= 120, `ttl ${defaultTtl}`);

    let loads = 0;
    const loader = async () => ++loads;
    assert.equal(await cache.getOrLoad('short', loader, 1), 1);
    assert.equal(await cache.getOrLoad('short', loader, 1), 1);
    await sleep(1100);
    assert.equal(await cache.getOrLoad('short', loader, 1), 2);
  });

  test('del and delByPrefix invalidate only the matching keys', async () => {
    const { cache } = newCache();
    let version = 1;
    const loader = async () => version;
    for (const key of ['product:a', 'product:b', 'list:*?[x]', 'list:*?[y]', 'listing']) await cache.getOrLoad(key, loader);
    version = 2;

    await cache.del('product:a');
    assert.equal(await cache.getOrLoad('product:a', loader), 2);
    assert.equal(await cache.getOrLoad('product:b', loader), 1);

    await cache.delByPrefix('list:*?[');
    assert.equal(await cache.getOrLoad('list:*?[x]', loader), 2);
    assert.equal(await cache.getOrLoad('list:*?[y]', loader), 2);
    assert.equal(await cache.getOrLoad('listing', loader), 1, 'glob characters in the prefix are literal');
  });

  test('a failing loader rejects every waiting caller and caches nothing', async () => {
    const { cache, prefix } = newCache();
    let calls = 0;
    const failing = async () => {
      calls++;
      await sleep(10);
      throw new Error('database down');
    };
    const outcomes = await Promise.allSettled([cache.getOrLoad('k', failing), cache.getOrLoad('k', failing)]);
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ['rejected', 'rejected']);
    assert.equal(calls, 1);
    assert.equal(await redis.exists(`${prefix}:k`), 0);
    assert.equal(await cache.getOrLoad('k', async () => 'ok'), 'ok');
  });

  test('with Redis unreachable the loader answers at once and errors are counted, never thrown', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));

    const deadRedis = createRedisClient(`redis://127.0.0.1:${port}`);
    try {
      const registry = new Registry();
      const cache = createCache({ redis: deadRedis, prefix: 'down', defaultTtlSeconds: 60, registry });
      const started = Date.now();
      assert.equal(await cache.getOrLoad('k', async () => 'from loader'), 'from loader');
      assert.equal(await cache.getOrLoad('k', async () => 'again'), 'again');
      await cache.del('k');
      await cache.delByPrefix('k');
      assert.ok(Date.now() - started < 500, `took ${Date.now() - started} ms`);
      assert.equal(await metric(registry, 'cache_errors_total', { cache: 'down' }), 6);
      assert.equal(await metric(registry, 'cache_requests_total', { cache: 'down', result: 'miss' }), 2);
    } finally {
      deadRedis.disconnect();
    }
  });
});
