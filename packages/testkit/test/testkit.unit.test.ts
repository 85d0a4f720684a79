import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gatewayUrl, infra, uniqueName, waitFor } from '../src/index.ts';

test('infra() reads env and falls back to the design.md defaults', () => {
  // A data directory without a local broker's admin login: no login.
  assert.deepEqual(infra({ MERIDIAN_DATA_DIR: '/nonexistent/meridian' }), {
    kafkaBrokers: ['127.0.0.1:9092'],
    kafka: { bootstrapBrokers: ['127.0.0.1:9092'] },
    redisUrl: 'redis://127.0.0.1:6379',
    etcdEndpoints: ['http://127.0.0.1:2379'],
    pgAdminUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
  });
  const custom = infra({ KAFKA_BROKERS: 'a:1, b:2', ETCD_ENDPOINTS: 'http://e:1,http://e:2', REDIS_URL: 'redis://r:1' });
  assert.deepEqual(custom.kafkaBrokers, ['a:1', 'b:2']);
  assert.deepEqual(custom.etcdEndpoints, ['http://e:1', 'http://e:2']);
  assert.equal(custom.redisUrl, 'redis://r:1');
  const login = infra({ KAFKA_SASL_USERNAME: 'admin', KAFKA_SASL_PASSWORD: 'secret' }).kafka;
  assert.deepEqual(login.sasl, { mechanism: 'SCRAM-SHA-512', username: 'admin', password: 'secret' }, 'the admin login given in env');
});

test('gatewayUrl() uses GATEWAY_URL', () => {
  assert.equal(gatewayUrl({ GATEWAY_URL: 'http://127.0.0.1:18080' }), 'http://127.0.0.1:18080');
  assert.equal(gatewayUrl({}), 'http://127.0.0.1:8080');
});

test('uniqueName() is unique and safe as an identifier', () => {
  const names = new Set(Array.from({ length: 200 }, () => uniqueName('Orders-Test')));
  assert.equal(names.size, 200);
  for (const name of names) assert.match(name, /^orders_test_[a-z0-9]+_[0-9a-f]{8}$/);
});

test('waitFor() resolves with the first truthy value and retries through throws', async () => {
  let calls = 0;
  const value = await waitFor(() => {
    calls += 1;
    if (calls === 1) throw new Error('not yet');
    return calls >= 3 ? 'done' : undefined;
  }, { intervalMs: 1 });
  assert.equal(value, 'done');
  assert.equal(calls, 3);
});

test('waitFor() times out naming the condition and the last error', async () => {
  await assert.rejects(
    waitFor(() => { throw new Error('boom'); }, { timeoutMs: 30, intervalMs: 5, message: 'the thing' }),
    /Timed out after 30 ms waiting for the thing \(last error: boom\)/,
  );
});
