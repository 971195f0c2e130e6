/**
 * A small in-process fixed-window limiter. Enough to keep `POST /resync` from being used to flood
 * the queue and to make guessing the admin token by brute force hopeless; it is per process,
 * which is fine because each worker process serves its own HTTP port.
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
