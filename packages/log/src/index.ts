import { AsyncLocalStorage } from 'node:async_hooks';
import { trace } from '@opentelemetry/api';
import { pino } from 'pino';
import type { DestinationStream, Logger, LevelWithSilent, LoggerOptions as PinoOptions } from 'pino';

export type { Logger } from 'pino';

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
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
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
