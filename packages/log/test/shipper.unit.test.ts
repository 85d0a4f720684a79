import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { createLogger, createLogShipper, LineRing, logShippingEnabled } from '../src/index.ts';
import type { LogTransport } from '../src/index.ts';

/** A transport that records every batch; `mode` decides how each send ends. */
function fakeTransport(mode: 'ok' | 'fail' | 'hang' = 'ok') {
  const batches: string[][] = [];
  let closed = false;
  const transport: LogTransport = {
    send(lines) {
      batches.push(lines);
      if (mode === 'ok') return Promise.resolve();
      if (mode === 'fail') return Promise.reject(new Error('kafka down'));
      return new Promise(() => {});
    },
    async close() {
      closed = true;
    },
  };
  return { transport, batches, isClosed: () => closed };
}

async function counterValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  const matching = metric?.values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)) ?? [];
  return matching.reduce((sum, v) => sum + v.value, 0);
}

test('the ring keeps the newest entries and evicts the oldest when full', () => {
  const ring = new LineRing(3);
  assert.equal(ring.push('a'), false);
  ring.push('b');
  ring.push('c');
  assert.equal(ring.push('d'), true);
  assert.equal(ring.size, 3);
  assert.deepEqual([ring.shift(), ring.shift(), ring.shift(), ring.shift()], ['b', 'c', 'd', undefined]);
  ring.push('e');
  assert.equal(ring.peek(), 'e');
});

test('lines are sent in batches, without the trailing newline, and counted', async () => {
  const registry = new Registry();
  const { transport, batches } = fakeTransport('ok');
  const shipper = createLogShipper({ transport, batchSize: 4, registry });
  for (let i = 0; i < 10; i++) shipper.write(`{"n":${i}}\n`);
  await shipper.flush(1000);
  assert.deepEqual(batches.flat(), Array.from({ length: 10 }, (_, i) => `{"n":${i}}`));
  assert.ok(batches.every((batch) => batch.length <= 4));
  assert.deepEqual(shipper.stats(), { buffered: 0, sent: 10, dropped: 0 });
  assert.equal(await counterValue(registry, 'log_shipping_sent_total'), 10);
  await shipper.close();
});

test('a hanging transport never blocks the writer: 100k writes finish fast, the oldest are dropped and counted', async () => {
  const registry = new Registry();
  const { transport, batches } = fakeTransport('hang');
  const shipper = createLogShipper({ transport, capacity: 1000, batchSize: 100, registry });
  const started = performance.now();
  for (let i = 0; i < 100_000; i++) shipper.write(`{"n":${i}}\n`);
  const elapsedMs = performance.now() - started;
  // Normally ~20 ms; a writer waiting on the transport would never finish.
  assert.ok(elapsedMs < 5000, `100k writes took ${elapsedMs} ms`);
  assert.equal(batches.length, 0, 'nothing is sent inside a log call');
  assert.deepEqual(shipper.stats(), { buffered: 1000, sent: 0, dropped: 99_000 });
  assert.equal(await counterValue(registry, 'log_shipping_dropped_total', { reason: 'overflow' }), 99_000);
  // The ring held the newest lines; one batch of them is now in flight (and never returns).
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(batches.length, 1);
  assert.equal(batches[0][0], '{"n":99000}');
  assert.equal(shipper.stats().buffered, 900);
  const closing = performance.now();
  await shipper.close(200);
  assert.ok(performance.now() - closing < 1000, 'close keeps to its deadline');
  assert.equal(await counterValue(registry, 'log_shipping_dropped_total', { reason: 'shutdown' }), 900);
});

test('a failed batch is dropped and counted, never sent twice', async () => {
  const registry = new Registry();
  const { transport, batches } = fakeTransport('fail');
  const shipper = createLogShipper({ transport, batchSize: 5, registry });
  for (let i = 0; i < 12; i++) shipper.write(`line ${i}\n`);
  await shipper.flush(1000);
  const seen = batches.flat();
  assert.equal(new Set(seen).size, seen.length, 'no line offered twice');
  assert.equal(seen.length, 12);
  assert.equal(shipper.stats().dropped, 12);
  assert.equal(await counterValue(registry, 'log_shipping_dropped_total', { reason: 'send_failed' }), 12);
  await shipper.close();
});

test('after a failure sending pauses (backoff) while lines keep buffering', async () => {
  const { transport, batches } = fakeTransport('fail');
  const shipper = createLogShipper({ transport, batchSize: 2, flushIntervalMs: 10 });
  shipper.write('a');
  shipper.write('b');
  await new Promise((resolve) => setTimeout(resolve, 20));
  shipper.write('c');
  shipper.write('d');
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(batches.length, 1, 'no send during the backoff');
  assert.equal(shipper.stats().buffered, 2);
  await shipper.close(100);
});

test('oversized lines and lines written after close are dropped, not thrown', async () => {
  const registry = new Registry();
  const { transport, isClosed } = fakeTransport('ok');
  const shipper = createLogShipper({ transport, maxLineBytes: 10, registry });
  assert.doesNotThrow(() => shipper.write('x'.repeat(11)));
  await shipper.close();
  assert.ok(isClosed());
  assert.doesNotThrow(() => shipper.write('late'));
  assert.equal(await counterValue(registry, 'log_shipping_dropped_total', { reason: 'too_large' }), 1);
  assert.equal(await counterValue(registry, 'log_shipping_dropped_total', { reason: 'shutdown' }), 1);
});

test('a logger with a shipper writes every line to its destination and to the shipper', async () => {
  const { transport, batches } = fakeTransport('ok');
  const shipper = createLogShipper({ transport });
  const written: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      written.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ service: 'orders', version: '1', instance: 'i-1', level: 'debug', destination, shipper });
  logger.debug('details');
  logger.info({ password: 'p' }, 'hello');
  logger.trace('below the level');
  await shipper.close();
  const shipped = batches.flat().map((line) => JSON.parse(line));
  assert.deepEqual(shipped.map((line) => [line.service, line.level, line.msg]), [
    ['orders', 'debug', 'details'],
    ['orders', 'info', 'hello'],
  ]);
  assert.equal(shipped[1].password, '[redacted]');
  assert.deepEqual(written.map((line) => JSON.parse(line).msg), ['details', 'hello']);
});

test('shipping is on with KAFKA_BROKERS unless switched off or for the logging service itself', () => {
  assert.equal(logShippingEnabled('orders', { KAFKA_BROKERS: '127.0.0.1:9092' }), true);
  assert.equal(logShippingEnabled('orders', {}), false);
  assert.equal(logShippingEnabled('logging', { KAFKA_BROKERS: '127.0.0.1:9092' }), false);
  assert.equal(logShippingEnabled('orders', { KAFKA_BROKERS: '127.0.0.1:9092', LOG_SHIPPING: 'off' }), false);
  assert.equal(logShippingEnabled('orders', { LOG_SHIPPING: 'kafka' }), true);
});
