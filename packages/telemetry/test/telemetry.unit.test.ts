import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trace } from '@opentelemetry/api';
import {
  currentTraceId,
  currentTraceparent,
  extractContext,
  injectHeaders,
  initTelemetry,
  startSpan,
  withSpan,
} from '../src/index.ts';

const telemetry = initTelemetry({ service: 'telemetry-test', version: '0.0.1' });
test.after(() => telemetry.shutdown());

const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

test('root spans get real, sampled ids without an exporter', () => {
  const span = startSpan('root');
  const { traceId, spanId, traceFlags } = span.spanContext();
  span.end();
  assert.match(traceId, /^[0-9a-f]{32}$/);
  assert.notEqual(traceId, '0'.repeat(32));
  assert.match(spanId, /^[0-9a-f]{16}$/);
  assert.equal(traceFlags & 1, 1);
});

test('withSpan makes the span active and nests children under it', async () => {
  await withSpan('parent', { 'test.attr': 1 }, async (parent) => {
    assert.equal(currentTraceId(), parent.spanContext().traceId);
    await withSpan('child', {}, async (child) => {
      assert.equal(child.spanContext().traceId, parent.spanContext().traceId);
      assert.notEqual(child.spanContext().spanId, parent.spanContext().spanId);
    });
  });
  assert.equal(currentTraceId(), undefined);
});

test('withSpan returns sync and async results and rethrows errors after ending the span', async () => {
  assert.equal(withSpan('sync', {}, () => 42), 42);
  assert.equal(await withSpan('async', {}, async () => 43), 43);
  let captured: ReturnType<typeof startSpan> | undefined;
  await assert.rejects(
    withSpan('fails', {}, async (span) => {
      captured = span;
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(captured?.isRecording(), false);
  assert.throws(() => withSpan('fails sync', {}, () => { throw new Error('bang'); }), /bang/);
});

test('HTTP headers: inject then extract continues the same trace', () => {
  const headers: Record<string, string> = {};
  const traceId = withSpan('client', {}, (span) => {
    injectHeaders(headers);
    assert.equal(currentTraceparent(), headers.traceparent);
    return span.spanContext().traceId;
  });
  const [, injectedTrace] = traceparentPattern.exec(headers.traceparent) ?? [];
  assert.equal(injectedTrace, traceId);
  const server = withSpan('server', {}, (span) => span.spanContext(), extractContext({ ...headers, host: 'x' }));
  assert.equal(server.traceId, traceId);
});

test('HTTP headers: case-insensitive, array values', () => {
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const parent = trace.getSpanContext(extractContext({ Traceparent: [traceparent] }));
  assert.equal(parent?.traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(parent?.spanId, 'b7ad6b7169203331');
  assert.equal(parent?.isRemote, true);
});

test('Kafka headers: Map with string or Buffer keys and values', () => {
  const produced = withSpan('publish', {}, (span) => {
    const headers = injectHeaders(new Map<string | Buffer, string | Buffer>([['event-type', 'X']]));
    return { headers, traceId: span.spanContext().traceId };
  });
  assert.match(String(produced.headers.get('traceparent')), traceparentPattern);
  const consumed = new Map<Buffer, Buffer>(
    [...produced.headers].map(([k, v]) => [Buffer.from(String(k)), Buffer.from(String(v))]),
  );
  assert.equal(trace.getSpanContext(extractContext(consumed))?.traceId, produced.traceId);
});

test('missing or invalid traceparent yields a fresh root trace', () => {
  for (const carrier of [undefined, {}, { traceparent: 'garbage' }]) {
    const ctx = extractContext(carrier);
    assert.equal(trace.getSpanContext(ctx), undefined);
    const span = startSpan('root', {}, { parent: ctx });
    assert.match(span.spanContext().traceId, /^(?!0{32})[0-9a-f]{32}$/);
    span.end();
  }
});
