import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from 'typebox';
import { ConfigError, kafkaConnection, kafkaLoginEnv, loadConfig, platformConfig, splitList } from '../src/index.ts';

const schema = Type.Object({
  ...platformConfig,
  DATABASE_URL: Type.String({ minLength: 1 }),
  FEATURE_ON: Type.Boolean({ default: false }),
  RETRIES: Type.Integer({ minimum: 1, default: 3 }),
});

test('applies defaults and coerces strings', () => {
  const config = loadConfig(schema, {
    DATABASE_URL: 'postgres://x@h/db',
    PORT: '4000',
    FEATURE_ON: 'true',
    UNRELATED: 'ignored',
  });
  assert.deepEqual(config, {
    KAFKA_BROKERS: '127.0.0.1:9092',
    REDIS_URL: 'redis://127.0.0.1:6379',
    ETCD_ENDPOINTS: 'http://127.0.0.1:2379',
    MERIDIAN_NAMESPACE: 'dev',
    HOST: '127.0.0.1',
    PORT: 4000,
    LOG_LEVEL: 'info',
    DATABASE_URL: 'postgres://x@h/db',
    FEATURE_ON: true,
    RETRIES: 3,
  });
});

test('empty strings count as unset', () => {
  const config = loadConfig(schema, { DATABASE_URL: 'postgres://x', PORT: '', OTEL_EXPORTER_OTLP_ENDPOINT: '' });
  assert.equal(config.PORT, 0);
  assert.equal('OTEL_EXPORTER_OTLP_ENDPOINT' in config, false);
});

test('names every bad variable and why', () => {
  const error = (() => {
    try {
      loadConfig(schema, { PORT: 'abc', LOG_LEVEL: 'loud', RETRIES: '0', MERIDIAN_NAMESPACE: 'Bad-NS' }, { name: 'orders' });
    } catch (e) {
      return e;
    }
  })();
  assert.ok(error instanceof ConfigError);
  assert.equal(
    error.message,
    [
      'Invalid configuration for orders:',
      '  - DATABASE_URL: is required',
      '  - LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
      '  - MERIDIAN_NAMESPACE: must match pattern "^[a-z0-9_]+$", got "Bad-NS"',
      '  - PORT: expected integer, got "abc"',
      '  - RETRIES: must be >= 1, got "0"',
    ].join('\n'),
  );
  assert.deepEqual(
    error.problems.map((p) => p.variable),
    ['DATABASE_URL', 'LOG_LEVEL', 'MERIDIAN_NAMESPACE', 'PORT', 'RETRIES'],
  );
});

test('platformConfig alone loads from an empty environment', () => {
  const config = loadConfig(Type.Object(platformConfig), {});
  assert.equal(config.MERIDIAN_NAMESPACE, 'dev');
  assert.equal(config.DATABASE_URL, undefined);
});

test('splitList trims and drops empty entries', () => {
  assert.deepEqual(splitList(' a:1, b:2 ,,'), ['a:1', 'b:2']);
});

test('a Kafka connection carries the login given in env, and none without one', () => {
  assert.deepEqual(kafkaConnection(' a:1, b:2 ,', {}), { bootstrapBrokers: ['a:1', 'b:2'] });
  const env = kafkaLoginEnv({ username: 'dev.orders', password: 'secret' });
  assert.deepEqual(kafkaConnection(['a:1'], env), {
    bootstrapBrokers: ['a:1'],
    sasl: { mechanism: 'SCRAM-SHA-512', username: 'dev.orders', password: 'secret' },
  });
  assert.throws(() => kafkaConnection('a:1', { KAFKA_SASL_USERNAME: 'dev.orders' }), /KAFKA_SASL_PASSWORD is not/);
  assert.throws(() => kafkaConnection('a:1', { ...env, KAFKA_SASL_MECHANISM: 'GSSAPI' }), /must be one of/);
});

test('KAFKA_TLS_CA_FILE turns TLS on, checked against that CA', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-ca-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'ca.crt');
  writeFileSync(file, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  assert.deepEqual(kafkaConnection('a:1', { KAFKA_TLS_CA_FILE: file }).tls, { ca: readFileSync(file, 'utf8') });
  assert.equal(kafkaConnection('a:1', {}).tls, undefined);
});
