import { context, propagation } from '@opentelemetry/api';
import type { Resolver } from './resolver.ts';

export interface ServiceClientOptions {
  /** Instances tried per request, at most. */
  attempts?: number;
  /** Per-attempt timeout unless the caller passes its own `signal`. */
  timeoutMs?: number;
}

export interface ServiceClient {
  request(path: string, init?: RequestInit): Promise<Response>;
}

export class ServiceUnavailableError extends Error {
  override name = 'ServiceUnavailableError';
  readonly service: string;
  constructor(service: string) {
    super(`no ready instance of service '${service}'`);
    this.service = service;
  }
}

// The request never reached the server: safe to retry whatever the method.
const notSentCodes = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);
// The connection broke mid-request: only idempotent requests may be repeated.
const brokenCodes = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const idempotentMethods = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

function errorCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: string; cause?: { code?: string } } })?.cause;
  return cause?.code ?? cause?.cause?.code;
}

/**
 * `fetch` against a discovered instance of `service`. Connection failures mark the instance
 * as failed and retry another one; the active trace context travels as `traceparent`.
 */
export function createServiceClient(
  resolver: Resolver,
  service: string,
  { attempts = 3, timeoutMs = 10_000 }: ServiceClientOptions = {},
): ServiceClient {
  return {
    async request(path, init = {}) {
      const headers = new Headers(init.headers);
      propagation.inject(context.active(), headers, {
        set: (carrier, key, value) => carrier.set(key, value),
      });
      const method = (init.method ?? 'GET').toUpperCase();
      const replayable = !(init.body instanceof ReadableStream);
      for (let attempt = 1; ; attempt++) {
        const instance = resolver.resolve(service);
        if (!instance) throw new ServiceUnavailableError(service);
        try {
          return await fetch(new URL(path, instance.url), {
            ...init,
            headers,
            signal: init.signal ?? AbortSignal.timeout(timeoutMs),
          });
        } catch (err) {
          const code = errorCode(err) ?? '';
          const notSent = notSentCodes.has(code);
          const broken = brokenCodes.has(code);
          if (notSent || broken) resolver.markFailed(instance.instanceId);
          const retryable = replayable && (notSent || (broken && idempotentMethods.has(method)));
          if (!retryable || attempt >= attempts) throw err;
        }
      }
    },
  };
}
