import {
  BrokenCircuitError,
  bulkhead,
  CircuitState,
  circuitBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleAll,
  handleWhen,
  retry,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import { SpanKind, withSpan } from '@meridian/telemetry';
import type { AuthorizationRequest, PaymentProvider } from './provider.ts';

export type Decision =
  | { status: 'authorized'; authorizationId: string; attempts: number }
  | { status: 'declined'; reason: string; attempts: number };

export interface AuthorizerOptions {
  provider: PaymentProvider;
  /** Each attempt is abandoned (its signal aborted) after this long. */
  timeoutMs: number;
  /** Attempts per authorization, the first included. */
  maxAttempts: number;
  /** Exponential backoff between attempts, with decorrelated jitter. */
  backoff: { baseMs: number; maxMs: number };
  /** Consecutive failed calls that open the circuit; it lets a trial call through after `cooldownMs`. */
  breaker: { failureThreshold: number; cooldownMs: number };
  /** Calls in flight at most, and waiting beyond them; more are refused at once. */
  bulkhead: { maxConcurrent: number; maxQueued: number };
  /** Called before each retry with the delay it waits (for tests and logs). */
  onRetry?: (delayMs: number) => void;
}

const circuitStates = { [CircuitState.Closed]: 'closed', [CircuitState.HalfOpen]: 'half-open', [CircuitState.Open]: 'open', [CircuitState.Isolated]: 'open' } as const;

/**
 * Calls the provider through retry -> bulkhead -> circuit breaker -> timeout (`cockatiel`). Always
 * ends in a decision: the provider's answer, or a decline with `provider_timeout` (every attempt timed
 * out) / `provider_unavailable` (an open circuit, which is not retried, or errors).
 */
export function createAuthorizer(opts: AuthorizerOptions) {
  const breaker = circuitBreaker(handleAll, {
    halfOpenAfter: opts.breaker.cooldownMs,
    breaker: new ConsecutiveBreaker(opts.breaker.failureThreshold),
  });
  const calls = bulkhead(opts.bulkhead.maxConcurrent, opts.bulkhead.maxQueued);
  const attempt = wrap(calls, breaker, timeout(opts.timeoutMs, TimeoutStrategy.Aggressive));
  const retries = retry(
    handleWhen((err) => !(err instanceof BrokenCircuitError)),
    { maxAttempts: opts.maxAttempts - 1, backoff: new ExponentialBackoff({ initialDelay: opts.backoff.baseMs, maxDelay: opts.backoff.maxMs }) },
  );
  if (opts.onRetry) retries.onRetry(({ delay }) => opts.onRetry!(delay));

  async function authorize(request: AuthorizationRequest): Promise<Decision> {
    let attempts = 0;
    try {
      const answer = await retries.execute(() => {
        attempts += 1;
        // One client span per attempt, queueing in the bulkhead included: the trace shows retries and waits.
        return withSpan('payment provider authorize', { 'payment.attempt': attempts, 'payment.order_id': request.orderId }, async (span) => {
          const result = await attempt.execute(({ signal }) => opts.provider.authorize(request, signal));
          span.setAttribute('payment.outcome', result.outcome);
          return result;
        }, undefined, SpanKind.CLIENT);
      });
      return answer.outcome === 'authorized'
        ? { status: 'authorized', authorizationId: answer.authorizationId, attempts }
        : { status: 'declined', reason: answer.reason, attempts };
    } catch (err) {
      return { status: 'declined', reason: err instanceof TaskCancelledError ? 'provider_timeout' : 'provider_unavailable', attempts };
    }
  }

  return {
    authorize,
    /** For the `payment_provider_circuit_state` gauge. */
    circuitState: () => circuitStates[breaker.state],
    /** Provider calls in flight (the bulkhead's used execution slots). */
    inFlight: () => opts.bulkhead.maxConcurrent - calls.executionSlots,
  };
}

export type Authorize = ReturnType<typeof createAuthorizer>['authorize'];
