/** Small resilience primitives for calls to an unreliable dependency. */

export class CircuitOpenError extends Error {
  constructor() {
    super('circuit open');
    this.name = 'CircuitOpenError';
  }
}

export class BulkheadFullError extends Error {
  constructor() {
    super('bulkhead full');
    this.name = 'BulkheadFullError';
  }
}

/** Exponential backoff with full jitter: a random delay in [0, min(maxMs, baseMs * 2^(attempt-1))]. */
export function backoffDelay(attempt: number, opts: { baseMs: number; maxMs: number; random?: () => number }): number {
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** (attempt - 1));
  return Math.round((opts.random ?? Math.random)() * ceiling);
}

export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * Opens after `failureThreshold` consecutive failures and then fails fast with CircuitOpenError.
 * After `cooldownMs` it lets one trial call through (half-open): success closes it, failure reopens it.
 */
export function createCircuitBreaker(opts: { failureThreshold: number; cooldownMs: number; now?: () => number }) {
  const now = opts.now ?? Date.now;
  let state: CircuitState = 'closed';
  let failures = 0;
  let openedAt = 0;
  let trialInFlight = false;

  function currentState(): CircuitState {
    if (state === 'open' && now() - openedAt >= opts.cooldownMs) state = 'half-open';
    return state;
  }

  function onSuccess() {
    failures = 0;
    state = 'closed';
  }

  function onFailure() {
    failures += 1;
    if (state === 'half-open' || failures >= opts.failureThreshold) {
      state = 'open';
      openedAt = now();
    }
  }

  return {
    state: currentState,
    async run<T>(fn: () => Promise<T>): Promise<T> {
      const s = currentState();
      if (s === 'open' || (s === 'half-open' && trialInFlight)) throw new CircuitOpenError();
      const isTrial = s === 'half-open';
      if (isTrial) trialInFlight = true;
      try {
        const result = await fn();
        onSuccess();
        return result;
      } catch (err) {
        onFailure();
        throw err;
      } finally {
        if (isTrial) trialInFlight = false;
      }
    },
  };
}

export type CircuitBreaker = ReturnType<typeof createCircuitBreaker>;

/** At most `maxConcurrent` calls in flight and `maxQueued` waiting; beyond that calls fail with BulkheadFullError. */
export function createBulkhead(opts: { maxConcurrent: number; maxQueued: number }) {
  let inFlight = 0;
  const waiting: (() => void)[] = [];

  return {
    inFlight: () => inFlight,
    queued: () => waiting.length,
    async run<T>(fn: () => Promise<T>): Promise<T> {
      if (inFlight >= opts.maxConcurrent) {
        if (waiting.length >= opts.maxQueued) throw new BulkheadFullError();
        await new Promise<void>((resolve) => waiting.push(resolve));
      } else {
        inFlight += 1;
      }
      try {
        return await fn();
      } finally {
        // Hand the slot straight to the next waiter, or free it.
        const next = waiting.shift();
        if (next) next();
        else inFlight -= 1;
      }
    },
  };
}

export type Bulkhead = ReturnType<typeof createBulkhead>;

/** Runs fn with an AbortSignal that fires after `ms`, and rejects then even if fn ignores the signal. */
export function withTimeout<T>(ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const signal = AbortSignal.timeout(ms);
  const aborted = new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  aborted.catch(() => {});
  return Promise.race([fn(signal), aborted]);
}

export function isTimeout(err: unknown): boolean {
  return err instanceof Error && err.name === 'TimeoutError';
}
