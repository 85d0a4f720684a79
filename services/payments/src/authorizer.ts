import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind, withSpan } from '@meridian/telemetry';
import type { AuthorizationRequest, PaymentProvider } from './provider.ts';
import {
  backoffDelay,
  CircuitOpenError,
  isTimeout,
  withTimeout,
  type Bulkhead,
  type CircuitBreaker,
} from './domain/resilience.ts';

export type Decision =
  | { status: 'authorized'; authorizationId: string; attempts: number }
  | { status: 'declined'; reason: string; attempts: number };

export interface AuthorizerOptions {
  provider: PaymentProvider;
  breaker: CircuitBreaker;
  bulkhead: Bulkhead;
  timeoutMs: number;
  maxAttempts: number;
  backoff: { baseMs: number; maxMs: number };
  sleep?: (ms: number) => Promise<unknown>;
}

/**
 * Calls the provider through bulkhead -> circuit breaker -> timeout, retrying failed calls with
 * exponential backoff + jitter. Always ends in a decision: the provider's answer, or a decline
 * with `provider_timeout` (every attempt timed out) / `provider_unavailable` (open circuit or errors).
 */
export function createAuthorizer(opts: AuthorizerOptions) {
  const wait = opts.sleep ?? sleep;

  return async function authorize(request: AuthorizationRequest): Promise<Decision> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= opts.maxAttempts; attempt++) {
      try {
        // One client span per attempt, queueing in the bulkhead included: the trace shows retries and waits.
        const result = await withSpan('payment provider authorize', { 'payment.attempt': attempt, 'payment.order_id': request.orderId }, (span) =>
          opts.bulkhead.run(() => opts.breaker.run(() => withTimeout(opts.timeoutMs, (signal) => opts.provider.authorize(request, signal))))
            .then((answer) => {
              span.setAttribute('payment.outcome', answer.outcome);
              return answer;
            }), undefined, SpanKind.CLIENT);
        return result.outcome === 'authorized'
          ? { status: 'authorized', authorizationId: result.authorizationId, attempts: attempt }
          : { status: 'declined', reason: result.reason, attempts: attempt };
      } catch (err) {
        if (err instanceof CircuitOpenError) return { status: 'declined', reason: 'provider_unavailable', attempts: attempt };
        lastError = err;
        if (attempt < opts.maxAttempts) await wait(backoffDelay(attempt, opts.backoff));
      }
    }
    const reason = isTimeout(lastError) ? 'provider_timeout' : 'provider_unavailable';
    return { status: 'declined', reason, attempts: opts.maxAttempts };
  };
}

export type Authorize = ReturnType<typeof createAuthorizer>;
