import type { Redis } from 'ioredis';

export interface RateLimitDecision {
  allowed: boolean;
  /** Seconds until the window resets (only meaningful when not allowed). */
  retryAfterSeconds: number;
}

export interface LoginRateLimiter {
  /** Counts one login attempt for this email + client IP. */
  hit(email: string, ip: string): Promise<RateLimitDecision>;
  /** A successful login forgives the attempts counted so far, so only failures add up. */
  clear(email: string, ip: string): Promise<void>;
}

interface Options {
  /** Key prefix, e.g. `dev:identity:login`. */
  prefix: string;
  limit: number;
  windowSeconds: number;
  /** Called when Redis fails; the attempt is then allowed (fail open). */
  onError(err: unknown): void;
}

/**
 * Fixed-window counter in Redis (INCR + EXPIRE NX): `limit` attempts per `windowSeconds`, where a
 * success clears the count. Every attempt is counted atomically before the password is checked,
 * so concurrent guesses cannot slip past the limit.
 */
export function createLoginRateLimiter(redis: Redis, { prefix, limit, windowSeconds, onError }: Options): LoginRateLimiter {
  return {
    async hit(email, ip) {
      const key = `${prefix}:${email}:${ip}`;
      try {
        const results = await redis.multi().incr(key).expire(key, windowSeconds, 'NX').ttl(key).exec();
        if (!results) throw new Error('rate limit transaction aborted');
        for (const [err] of results) if (err) throw err;
        const count = results[0]![1] as number;
        const ttl = results[2]![1] as number;
        return { allowed: count <= limit, retryAfterSeconds: ttl > 0 ? ttl : windowSeconds };
      } catch (err) {
        onError(err);
        return { allowed: true, retryAfterSeconds: 0 };
      }
    },
    async clear(email, ip) {
      await redis.del(`${prefix}:${email}:${ip}`).catch(onError);
    },
  };
}
