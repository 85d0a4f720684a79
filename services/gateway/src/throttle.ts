/**
 * Adaptive throttling (Google SRE book, "Handling Overload"): while a service refuses requests as
 * overloaded (503 with Retry-After), the gateway refuses a share of new ones itself, before they cost
 * a connection, the service's own admission check and a relayed answer. Over a short sliding window,
 * a request is refused here with probability
 *
 *   max(0, (requests - K * accepted) / (requests + 1))
 *
 * so about K times what the service accepts still reaches it: it keeps deciding, and as soon as it
 * accepts more, fewer are refused here. A window without refusals refuses nothing.
 */
export interface ThrottleOptions {
  /** How far back requests and accepts count (ms); short, so the throttle lets go soon after a burst. */
  windowMs?: number;
  /** Requests let through per accepted one (K); above 1, so the service always sees more than it takes. */
  k?: number;
  now?: () => number;
  random?: () => number;
}

export interface Throttle {
  /** Whether to refuse this request here (counted as a request either way). */
  shouldRefuse(): boolean;
  /** What the service answered a forwarded request: `false` when it refused it as overloaded. */
  answered(accepted: boolean): void;
}

const buckets = 10;

export function createThrottle({ windowMs = 2000, k = 1.25, now = () => performance.now(), random = Math.random }: ThrottleOptions = {}): Throttle {
  const bucketMs = windowMs / buckets;
  const requests = new Float64Array(buckets);
  const accepts = new Float64Array(buckets);
  let current = Math.floor(now() / bucketMs);
  let refusedInWindow = 0; // refusals by the service still in the window (nothing to do while 0)
  const refusals = new Float64Array(buckets);

  /** Moves the window to now, clearing the buckets that fell out of it. */
  function advance() {
    const bucket = Math.floor(now() / bucketMs);
    if (bucket === current) return;
    for (let b = Math.max(current + 1, bucket - buckets + 1); b <= bucket; b++) {
      const i = b % buckets;
      refusedInWindow -= refusals[i];
      requests[i] = 0;
      accepts[i] = 0;
      refusals[i] = 0;
    }
    current = bucket;
  }
  const sum = (counts: Float64Array) => counts.reduce((total, n) => total + n, 0);

  return {
    shouldRefuse() {
      advance();
      requests[current % buckets] += 1;
      if (refusedInWindow === 0) return false;
      const total = sum(requests);
      return random() < Math.max(0, (total - k * sum(accepts)) / (total + 1));
    },
    answered(accepted) {
      advance();
      if (accepted) accepts[current % buckets] += 1;
      else {
        refusals[current % buckets] += 1;
        refusedInWindow += 1;
      }
    },
  };
}
