import { randomUUID } from 'node:crypto';

/** The port to the card payment provider. */
export interface AuthorizationRequest {
  orderId: string;
  amountCents: number;
  currency: string;
  token: string;
}

export type ProviderResult =
  | { outcome: 'authorized'; authorizationId: string }
  | { outcome: 'declined'; reason: string };

export interface PaymentProvider {
  /** Settles or rejects; rejects with `signal.reason` once the signal aborts. */
  authorize(request: AuthorizationRequest, signal: AbortSignal): Promise<ProviderResult>;
}

/**
 * The documented test tokens and what each does; any other token is declined with `unknown_token`
 * (a real provider refuses a token it never issued, it does not take the payment).
 */
export const testPaymentTokens = {
  tok_visa: 'authorized',
  tok_mastercard: 'authorized',
  tok_decline: 'declined: card_declined',
  tok_insufficient_funds: 'declined: insufficient_funds',
  tok_timeout: 'the provider never answers: retried, then declined with provider_timeout',
} as const;

const declinedTokens: Record<string, string> = {
  tok_decline: 'card_declined',
  tok_insufficient_funds: 'insufficient_funds',
};

/** The decline reason a token earns, or undefined when it authorizes. */
export function declineReasonOf(token: string): string | undefined {
  if (!Object.hasOwn(testPaymentTokens, token)) return 'unknown_token';
  return declinedTokens[token];
}

/**
 * A deterministic stand-in for a real provider, answering after `latencyMs`: the
 * `testPaymentTokens` behave as documented, `tok_timeout` never answers, any other token is
 * declined with `unknown_token`. Idempotent by orderId like a real provider's idempotency key: a
 * retried call for an order returns the first result.
 */
export function createSimulatedProvider(opts: { latencyMs: number; maxRemembered?: number }): PaymentProvider {
  const { latencyMs, maxRemembered = 10_000 } = opts;
  const results = new Map<string, ProviderResult>();

  function remember(orderId: string, result: ProviderResult): ProviderResult {
    results.set(orderId, result);
    if (results.size > maxRemembered) results.delete(results.keys().next().value!);
    return result;
  }

  return {
    async authorize(request, signal) {
      await delay(request.token === 'tok_timeout' ? Infinity : latencyMs, signal);
      const known = results.get(request.orderId);
      if (known) return known;
      const reason = declineReasonOf(request.token);
      return remember(
        request.orderId,
        reason ? { outcome: 'declined', reason } : { outcome: 'authorized', authorizationId: randomUUID() },
      );
    },
  };
}

/** Resolves after `ms` (never for Infinity) unless the signal aborts first. */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
    function done() {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(signal.reason);
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
