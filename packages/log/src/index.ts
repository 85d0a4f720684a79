import { AsyncLocalStorage } from 'node:async_hooks';
import { trace } from '@opentelemetry/api';
import { pino } from 'pino';
import type { DestinationStream, Logger, LevelWithSilent, LoggerOptions as PinoOptions } from 'pino';
import type { LogShipper } from './shipper.ts';

export type { Logger } from 'pino';
export {
  createKafkaLogShipper,
  createLogShipper,
  kafkaLogTransport,
  LineRing,
  logShippingEnabled,
  logsTopic,
  logsTopicSettings,
} from './shipper.ts';
export type { DropReason, KafkaLogTransportOptions, LogShipper, LogShipperOptions, LogShipperStats, LogTransport } from './shipper.ts';

/** Fields added to every log line written inside `withLogContext` (e.g. `reqId`, `messageId`). */
export type LogContext = Record<string, string | number | boolean | undefined>;

const contextStore = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with `fields` merged into the current log context. */
export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  return contextStore.run({ ...contextStore.getStore(), ...fields }, fn);
}

/** The log context active here (empty outside any `withLogContext`). */
export function currentLogContext(): LogContext {
  return contextStore.getStore() ?? {};
}

/** Keys whose values never reach a log line, wherever they appear (up to `redactDepth` levels deep). */
export const secretKeys: ReadonlySet<string> = new Set([
  'password', 'passwordHash', 'token', 'accessToken', 'refreshToken', 'secret', 'apiKey',
  'authorization', 'cookie', 'set-cookie',
]);
const censor = '[redacted]';
const redactDepth = 4;

function walkable(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || Array.isArray(value) || value instanceof Error;
}

/** A copy that keeps the prototype and non-enumerable own properties (an Error's message and stack). */
function shallowCopy(value: object): Record<string, unknown> {
  if (Array.isArray(value)) return value.slice() as Record<string, unknown> & unknown[];
  const copy = Object.create(Object.getPrototypeOf(value), Object.getOwnPropertyDescriptors(value));
  // V8's `stack` accessor reads the original error's internal slot: keep its value instead.
  if (value instanceof Error) Object.defineProperty(copy, 'stack', { value: value.stack, writable: true, configurable: true });
  return copy;
}

const secretSerializers = Object.fromEntries([...secretKeys].map((key) => [key, () => censor]));

/**
 * `value` with every secret key's value replaced by `[redacted]` in plain objects, arrays and
 * errors nested up to `redactDepth` levels. Copy-on-write: the caller's objects are never changed,
 * and a line without secrets costs one key lookup per field.
 */
export function redactSecrets<T extends object>(value: T, depth = 0): T {
  let copy: Record<string, unknown> | undefined;
  const fields = value as Record<string, unknown>;
  for (const key in fields) {
    const field = fields[key];
    let replacement = field;
    if (secretKeys.has(key)) {
      if (field !== undefined && field !== censor) replacement = censor;
    } else if (depth + 1 < redactDepth && walkable(field)) {
      replacement = redactSecrets(field, depth + 1);
    }
    if (replacement !== field) {
      copy ??= shallowCopy(value);
      copy[key] = replacement;
    }
  }
  return (copy ?? value) as T;
}

export interface LoggerOptions {
  service: string;
  version: string;
  instance: string;
  level?: LevelWithSilent;
  /** Where lines go; stdout by default. */
  destination?: DestinationStream;
  /** Also hands every line to this shipper (e.g. `createKafkaLogShipper`); the caller closes it. */
  shipper?: LogShipper;
}

/**
 * A pino JSON logger whose lines carry `service`, `version`, `instance`, the active log context
 * (`reqId`, ...) and the active OpenTelemetry span's `traceId` / `spanId`.
 */
export function createLogger(options: LoggerOptions): Logger {
  const pinoOptions: PinoOptions = {
    level: options.level ?? 'info',
    base: { service: options.service, version: options.version, instance: options.instance },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Redaction by key name: pino's path-based `redact` cost more than the rest of a line. `log` covers
    // the logged object; the serializers cover top-level keys of child bindings (pino formats those once).
    formatters: { level: (label) => ({ level: label }), log: redactSecrets },
    serializers: secretSerializers,
    mixin: contextFields,
  };
  let destination = options.destination;
  if (!destination) {
    const stdout = bufferedStdout();
    destination = stdout.stream;
    pinoOptions.hooks = { streamWrite: stdout.written };
  }
  if (!options.shipper) return pino(pinoOptions, destination);
  // Each stream accepts every level; the logger's own level decides what is written at all.
  return pino(pinoOptions, pino.multistream([
    { level: 'trace', stream: destination },
    { level: 'trace', stream: options.shipper },
  ]));
}

/** Bytes buffered before a write to stdout, and the longest a line waits for one. */
const stdoutMinBytes = 4096;
const stdoutFlushMs = 100;

/**
 * Asynchronous, buffered stdout: a log line never blocks the event loop, and lines are written in
 * batches of at least `stdoutMinBytes` or every `stdoutFlushMs` (pino flushes the rest on exit).
 * A write per line cost more CPU than building the line on a busy request path.
 */
function bufferedStdout() {
  const stream = pino.destination({ sync: false, minLength: stdoutMinBytes });
  // A timer only while bytes wait (an idle process has none ticking): a write that completes may
  // leave a remainder below minLength buffered, flushed at the latest `stdoutFlushMs` later.
  let timer: NodeJS.Timeout | undefined;
  const flushLater = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      stream.flush();
    }, stdoutFlushMs);
    timer.unref();
  };
  stream.on('write', (bytes: number) => {
    if (bytes > 0) flushLater();
  });
  const written = (line: string) => {
    flushLater();
    return line;
  };
  return { stream, written };
}

function contextFields(): object {
  const fields: Record<string, unknown> = { ...contextStore.getStore() };
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (spanContext && trace.isSpanContextValid(spanContext)) {
    fields.traceId = spanContext.traceId;
    fields.spanId = spanContext.spanId;
  }
  return fields;
}
