/**
 * A small in-process fixed-window limiter, for the admin endpoints: it caps failed
 * authentications per client address (so that guessing the admin token by brute force is
 * hopeless) and authenticated `POST /resync` requests (so that they cannot flood the queue). It is
 * per process, which is fine because each worker process serves its own HTTP port.
 *
 * Why not rate-limiter-flexible: its memory limiter would do the same behind a promise, and its
 * Redis limiter would tie these answers to Redis, which is exactly what must keep answering (401,
 * 429, 503) while Redis is down. This one decides synchronously, before anything else is awaited,
 * takes an injected clock in tests, and needs no timers.
 *
 * Windows are aligned on the clock (every key's window starts at the same instant), so when a
 * window ends all counts can be dropped at once: memory stays bounded by the number of clients
 * seen within one window, however many there are over time.
 */

export interface RateLimitDecision {
  allowed: boolean;
  /** Whole seconds until the current window ends; what a 429's Retry-After says. */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Counts one attempt for the key and says whether it is within the limit. */
  take(key: string): RateLimitDecision;
  /** Says whether one more attempt would be allowed, without counting it. */
  peek(key: string): RateLimitDecision;
}

export interface RateLimiterOptions {
  limit: number;
  windowMs: number;
  now?: () => number;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { limit, windowMs } = options;
  if (!Number.isInteger(limit) || limit < 1) throw new Error('rate limit must be a positive integer');
  if (!(windowMs > 0)) throw new Error('rate limit window must be positive');
  const now = options.now ?? Date.now;
  const counts = new Map<string, number>();
  let currentWindow = -1;

  const roll = (): number => {
    const time = now();
    const window = Math.floor(time / windowMs);
    if (window !== currentWindow) {
      currentWindow = window;
      counts.clear();
    }
    return Math.max(1, Math.ceil(((window + 1) * windowMs - time) / 1000));
  };

  return {
    take(key) {
      const retryAfterSeconds = roll();
      const used = counts.get(key) ?? 0;
      if (used >= limit) return { allowed: false, retryAfterSeconds };
      counts.set(key, used + 1);
      return { allowed: true, retryAfterSeconds };
    },
    peek(key) {
      const retryAfterSeconds = roll();
      return { allowed: (counts.get(key) ?? 0) < limit, retryAfterSeconds };
    },
  };
}
