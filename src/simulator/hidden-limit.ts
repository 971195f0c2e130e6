/**
 * A rate limit TimeTap might enforce without publishing it: a token bucket (`rps` tokens a
 * second, a small burst) over every request, the login included, as an API gateway in front of
 * the service would count them. A request that finds the bucket empty gets 429 with a
 * `Retry-After` in whole seconds (the header's delta-seconds form), the time until the next
 * token, rounded up. Off by default; tests and `timetap-sync simulator --hidden-rate-limit N`
 * turn it on, and may change it while the simulator runs, to prove that the client learns it.
 */

export interface HiddenRateLimit {
  /** undefined when the request may pass (and takes a token); else the Retry-After in seconds. */
  take(nowMs: number): number | undefined;
  /** A new rate (the bucket keeps what it holds, up to the new burst); undefined turns it off. */
  set(rps: number | undefined, nowMs: number): void;
  /** The rate now, undefined when off. */
  rps(): number | undefined;
  /** Requests refused with 429 so far. */
  refused(): number;
  resetCount(): void;
}

/** A quarter of a second's worth, and at least two: enough for a request and its retry. */
export function hiddenBurst(rps: number): number {
  return Math.max(2, Math.ceil(rps / 4));
}

function checkHiddenRateLimit(rps: number | undefined): number | undefined {
  if (rps !== undefined && !(Number.isFinite(rps) && rps > 0)) {
    throw new RangeError('simulator: the hidden rate limit must be a number of requests per second above 0');
  }
  return rps;
}

export function createHiddenRateLimit(initial: number | undefined, nowMs: number): HiddenRateLimit {
  let rate = checkHiddenRateLimit(initial);
  let tokens = rate === undefined ? 0 : hiddenBurst(rate);
  let refilledAt = nowMs;
  let refused = 0;

  const refill = (now: number) => {
    if (rate === undefined) return;
    tokens = Math.min(hiddenBurst(rate), tokens + ((now - refilledAt) / 1000) * rate);
    refilledAt = now;
  };

  return {
    take(now) {
      if (rate === undefined) return undefined;
      refill(now);
      if (tokens >= 1) {
        tokens -= 1;
        return undefined;
      }
      refused += 1;
      return Math.max(1, Math.ceil((1 - tokens) / rate));
    },
    set(rps, now) {
      refill(now);
      const wasOff = rate === undefined;
      rate = checkHiddenRateLimit(rps);
      if (rate === undefined) return;
      tokens = wasOff ? hiddenBurst(rate) : Math.min(tokens, hiddenBurst(rate));
      refilledAt = now;
    },
    rps: () => rate,
    refused: () => refused,
    resetCount() {
      refused = 0;
    },
  };
}
