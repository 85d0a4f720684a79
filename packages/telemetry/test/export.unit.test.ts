import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { Registry } from 'prom-client';
import { boundedExport } from '../src/export.ts';

/** An exporter port whose answers the test decides: `answer` runs for each batch it is given. */
function exporterPort(answer: (spans: ReadableSpan[], done: (result: ExportResult) => void) => void) {
  const batches: number[] = [];
  const exporter: SpanExporter = {
    export(spans, done) {
      batches.push(spans.length);
      answer(spans, done);
    },
    shutdown: async () => {},
  };
  return { exporter, batches };
}

function tracerWith(processor: ReturnType<typeof boundedExport>) {
  return new TracerProvider({ spanProcessors: [processor] }).getTracer('test');
}

const endSpans = (tracer: ReturnType<typeof tracerWith>, n: number) => {
  for (let i = 0; i < n; i++) tracer.startSpan(`span ${i}`).end();
};

test('spans are exported in batches and counted as exported', async () => {
  const registry = new Registry();
  const { exporter, batches } = exporterPort((_spans, done) => done({ code: ExportResultCode.SUCCESS }));
  const processor = boundedExport(exporter, { maxBatch: 4, delayMs: 10, registry });
  endSpans(tracerWith(processor), 10);
  await processor.forceFlush();
  assert.equal(batches.reduce((a, b) => a + b, 0), 10);
  assert.ok(batches.every((n) => n <= 4), `batches of at most 4: ${batches}`);
  assert.deepEqual(processor.counts(), { exported: 10, failed: 0, dropped: 0, queued: 0 });
  assert.match(await registry.metrics(), /telemetry_spans_total\{outcome="exported"\} 10/);
});

test('a collector that never answers costs failed batches after the deadline, and the queue drops (and counts) the rest', async () => {
  const registry = new Registry();
  const { exporter } = exporterPort(() => {}); // hangs forever
  const processor = boundedExport(exporter, { maxQueued: 5, maxBatch: 5, delayMs: 10, exportTimeoutMs: 50, registry });
  const tracer = tracerWith(processor);
  endSpans(tracer, 8);
  assert.deepEqual(processor.counts(), { exported: 0, failed: 0, dropped: 3, queued: 5 }, 'nothing waits beyond maxQueued');
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(processor.counts(), { exported: 0, failed: 5, dropped: 3, queued: 0 }, 'the hung export was given up');
  endSpans(tracer, 2);
  assert.equal(processor.counts().queued, 2, 'room again once the deadline passed');
  const text = await registry.metrics();
  assert.match(text, /telemetry_spans_total\{outcome="failed"\} 5/);
  assert.match(text, /telemetry_spans_total\{outcome="dropped"\} 3/);
});

test('an exporter that fails at once is counted as failed, and a late answer after the deadline is ignored', async () => {
  let late: ((result: ExportResult) => void) | undefined;
  let calls = 0;
  const { exporter } = exporterPort((_spans, done) => {
    calls += 1;
    if (calls === 1) done({ code: ExportResultCode.FAILED, error: new Error('connection refused') });
    else late = done;
  });
  const processor = boundedExport(exporter, { maxBatch: 10, delayMs: 10, exportTimeoutMs: 30, registry: new Registry() });
  const tracer = tracerWith(processor);
  endSpans(tracer, 3);
  await assert.rejects(processor.forceFlush(), /connection refused/);
  endSpans(tracer, 2);
  await new Promise((resolve) => setTimeout(resolve, 100));
  late?.({ code: ExportResultCode.SUCCESS });
  assert.deepEqual(processor.counts(), { exported: 0, failed: 5, dropped: 0, queued: 0 });
});
