/**
 * Span export that never holds a service back: a bounded queue in front of the batch processor
 * (spans past it are dropped and counted), each export given up after a deadline (a hung collector
 * costs a failed batch, not a growing backlog), and every outcome counted in
 * `telemetry_spans_total{outcome}` so a silent collector shows on the dashboards.
 */
import { TraceFlags, type Context } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { BatchSpanProcessor, type ReadableSpan, type Span, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { Counter, register, type Registry } from 'prom-client';

export type SpanOutcome = 'exported' | 'failed' | 'dropped';

export interface SpanExportCounts extends Record<SpanOutcome, number> {
  /** Ended spans waiting for, or in, an export. */
  queued: number;
}

export interface BoundedExportOptions {
  /** Spans waiting at most; more are dropped. */
  maxQueued?: number;
  /** Spans per export request. */
  maxBatch?: number;
  /** How long ended spans wait before an export starts. */
  delayMs?: number;
  /** After this, an export counts as failed and its late answer is ignored. */
  exportTimeoutMs?: number;
  /** Where `telemetry_spans_total` is registered; prom-client's default registry when omitted. */
  registry?: Registry;
}

/** Settles every export exactly once: with the exporter's answer or, after `timeoutMs`, as failed. */
function withDeadline(inner: SpanExporter, timeoutMs: number, settled: (spans: number, ok: boolean) => void): SpanExporter {
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
      let open = true;
      const settle = (result: ExportResult) => {
        if (!open) return;
        open = false;
        clearTimeout(timer);
        settled(spans.length, result.code === ExportResultCode.SUCCESS);
        done(result);
      };
      const timer = setTimeout(() => settle({ code: ExportResultCode.FAILED, error: new Error(`span export timed out after ${timeoutMs} ms`) }), timeoutMs);
      timer.unref();
      try {
        inner.export(spans, settle);
      } catch (error) {
        settle({ code: ExportResultCode.FAILED, error: error as Error });
      }
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}

function spansCounter(registry: Registry): Counter<'outcome'> {
  const existing = registry.getSingleMetric('telemetry_spans_total');
  if (existing) return existing as Counter<'outcome'>;
  return new Counter({
    name: 'telemetry_spans_total',
    help: 'Ended spans by outcome: exported to the trace collector, failed to export, or dropped with the queue full',
    labelNames: ['outcome'],
    registers: [registry],
  });
}

/** A span processor that exports through `exporter` in batches, bounded and counted (see the file comment). */
export function boundedExport(exporter: SpanExporter, options: BoundedExportOptions = {}): SpanProcessor & { counts(): SpanExportCounts } {
  const { maxQueued = 2048, maxBatch = 512, delayMs = 1000, exportTimeoutMs = 5000, registry = register } = options;
  const counter = spansCounter(registry);
  const counts: SpanExportCounts = { exported: 0, failed: 0, dropped: 0, queued: 0 };
  const count = (outcome: SpanOutcome, n: number) => {
    counts[outcome] += n;
    counter.inc({ outcome }, n);
  };
  const batches = new BatchSpanProcessor({
    exporter: withDeadline(exporter, exportTimeoutMs, (n, ok) => {
      counts.queued -= n;
      count(ok ? 'exported' : 'failed', n);
    }),
    // The batch processor's own queue is never the one that overflows: this processor drops first.
    maxQueueSize: maxQueued + maxBatch,
    maxExportBatchSize: maxBatch,
    scheduledDelayMillis: delayMs,
    exportTimeoutMillis: exportTimeoutMs * 2,
  });
  return {
    onStart(span: Span, parent: Context) {
      batches.onStart(span, parent);
    },
    onEnd(span: ReadableSpan) {
      if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return; // not exported by the batch processor either
      if (counts.queued >= maxQueued) {
        count('dropped', 1);
        return;
      }
      counts.queued += 1;
      batches.onEnd(span);
    },
    forceFlush: () => batches.forceFlush(),
    shutdown: () => batches.shutdown(),
    counts: () => ({ ...counts }),
  };
}
