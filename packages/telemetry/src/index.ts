import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span, TextMapGetter, TextMapSetter } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { boundedExport } from './export.ts';

export { SpanKind, SpanStatusCode } from '@opentelemetry/api';
export type { Attributes, Context, Span } from '@opentelemetry/api';

export interface TelemetryOptions {
  service: string;
  version: string;
  instance?: string;
  /** OTLP/HTTP base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`): spans are exported there when set. */
  otlpEndpoint?: string;
  /** Zipkin server base URL (`ZIPKIN_URL`): spans are sent to its `/api/v2/spans` when set. */
  zipkinUrl?: string;
}

export interface Telemetry {
  /** Flushes pending spans and stops exporting. */
  shutdown(): Promise<void>;
}

let provider: TracerProvider | undefined;

/** One bounded export per configured destination, counted in `telemetry_spans_total`. */
function spanExports(options: TelemetryOptions): SpanProcessor[] {
  const base = (url: string) => url.replace(/\/$/, '');
  return [
    ...(options.otlpEndpoint ? [boundedExport(new OTLPTraceExporter({ url: `${base(options.otlpEndpoint)}/v1/traces` }))] : []),
    ...(options.zipkinUrl ? [boundedExport(new ZipkinExporter({ url: `${base(options.zipkinUrl)}/api/v2/spans` }))] : []),
  ];
}

/**
 * Registers, once per process, the AsyncLocalStorage context manager, the W3C trace-context
 * propagator and a tracer provider that samples every root span (so trace ids exist and reach the
 * logs even without an exporter). The first call wins: later calls return the same provider.
 */
export function initTelemetry(options: TelemetryOptions): Telemetry {
  if (!provider) {
    const spanProcessors = spanExports(options);
    provider = new TracerProvider({
      resource: resourceFromAttributes({
        'service.name': options.service,
        'service.version': options.version,
        ...(options.instance ? { 'service.instance.id': options.instance } : {}),
      }),
      spanProcessors,
    });
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
  }
  const registered = provider;
  return { shutdown: () => registered.shutdown() };
}

function tracer() {
  if (!provider) initTelemetry({ service: process.env.OTEL_SERVICE_NAME ?? 'meridian', version: '0.0.0' });
  return trace.getTracer('meridian');
}

export interface SpanOptions {
  kind?: SpanKind;
  /** Parent context; the active context by default. */
  parent?: Context;
}

/** Starts a span (not made active); the caller ends it. */
export function startSpan(name: string, attributes: Attributes = {}, options: SpanOptions = {}): Span {
  return tracer().startSpan(name, { attributes, kind: options.kind }, options.parent ?? context.active());
}

/**
 * Runs `fn` inside a new active span, child of `parent` (or of the active context). The span
 * records an exception and error status if `fn` throws or rejects, and always ends.
 */
export function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => T,
  parent?: Context,
  kind: SpanKind = SpanKind.INTERNAL,
): T {
  const span = startSpan(name, attributes, { parent, kind });
  const fail = (error: unknown) => {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  };
  return context.with(trace.setSpan(parent ?? context.active(), span), () => {
    let result: T;
    try {
      result = fn(span);
    } catch (error) {
      fail(error);
      span.end();
      throw error;
    }
    if (result instanceof Promise) {
      return result.then(
        (value) => {
          span.end();
          return value;
        },
        (error: unknown) => {
          fail(error);
          span.end();
          throw error;
        },
      ) as T;
    }
    span.end();
    return result;
  });
}

/** HTTP headers (`IncomingHttpHeaders` or a plain object) or Kafka headers (a Map, Buffer or string keys/values). */
export type HeaderCarrier =
  | Record<string, string | string[] | Buffer | number | undefined>
  | Map<string | Buffer, string | Buffer>;

const setter: TextMapSetter<HeaderCarrier> = {
  set(carrier, key, value) {
    if (carrier instanceof Map) carrier.set(key, value);
    else carrier[key] = value;
  },
};

const getter: TextMapGetter<HeaderCarrier> = {
  keys(carrier) {
    return carrier instanceof Map ? [...carrier.keys()].map(String) : Object.keys(carrier);
  },
  get(carrier, key) {
    if (carrier instanceof Map) {
      for (const [k, v] of carrier) if (String(k).toLowerCase() === key) return String(v);
      return undefined;
    }
    const value = carrier[key] ?? carrier[Object.keys(carrier).find((k) => k.toLowerCase() === key) ?? ''];
    if (Array.isArray(value)) return value[0];
    return value === undefined ? undefined : String(value);
  },
};

/** Writes `traceparent` (and `tracestate`) for `ctx` (the active context by default) into `carrier`. */
export function injectHeaders<C extends HeaderCarrier>(carrier: C, ctx: Context = context.active()): C {
  tracer();
  propagation.inject(ctx, carrier, setter);
  return carrier;
}

/** The remote parent context carried by `carrier` (the root context when it has no valid `traceparent`). */
export function extractContext(carrier: HeaderCarrier | undefined): Context {
  tracer();
  return carrier ? propagation.extract(ROOT_CONTEXT, carrier, getter) : ROOT_CONTEXT;
}

export { injectHeaders as injectTraceHeaders, extractContext as extractTraceContext };

/** The active span's trace id, if any. */
export function currentTraceId(): string | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** The W3C `traceparent` of the active span, if any (for envelopes that carry it in their body). */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  injectHeaders(carrier);
  return carrier.traceparent;
}
