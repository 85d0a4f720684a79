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

/** Paths whose values never reach a log line. */
export const redactPaths = [
  'password',
  '*.password',
  '*.*.password',
  'passwordHash',
  '*.passwordHash',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'secret',
  '*.secret',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'cookie',
  '*.cookie',
  'headers.cookie',
  '*.headers.cookie',
  'headers["set-cookie"]',
  '*.headers["set-cookie"]',
];

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
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: redactPaths, censor: '[redacted]' },
    mixin: contextFields,
  };
  // Asynchronous writes: a log line never blocks the event loop on stdout (pino flushes on exit).
  const destination = options.destination ?? pino.destination({ sync: false });
  if (!options.shipper) return pino(pinoOptions, destination);
  // Each stream accepts every level; the logger's own level decides what is written at all.
  return pino(pinoOptions, pino.multistream([
    { level: 'trace', stream: destination },
    { level: 'trace', stream: options.shipper },
  ]));
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
