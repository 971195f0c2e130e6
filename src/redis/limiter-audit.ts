/**
 * Proof that the shared budget held: a limiter created with `audit: true` appends each grant's
 * Redis time (µs since the epoch) to `<key>:audit`. A benchmark or test reads them back and asks
 * for the busiest window; since every time comes from the one Redis clock, the answer holds
 * across processes and machines.
 */
import type { Redis } from 'ioredis';
import { limiterKeys } from './limiter.js';

/** Grant times in µs, oldest first (the list is capped, so only the most recent ones). */
export async function readLimiterAudit(redis: Redis, key: string): Promise<number[]> {
  const values = await redis.lrange(limiterKeys(key).audit, 0, -1);
  return values.map(Number).sort((a, b) => a - b);
}

/** The largest number of grants in any half-open window [t, t + windowUs). */
export function maxGrantsInWindow(timesUs: readonly number[], windowUs = 1_000_000): number {
  const sorted = [...timesUs].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while ((sorted[end] as number) - (sorted[start] as number) >= windowUs) start += 1;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/** The shortest gap between two consecutive grants, in µs (Infinity for fewer than two). */
export function minGrantGapUs(timesUs: readonly number[]): number {
  const sorted = [...timesUs].sort((a, b) => a - b);
  let min = Number.POSITIVE_INFINITY;
  for (let i = 1; i < sorted.length; i += 1)
    min = Math.min(min, (sorted[i] as number) - (sorted[i - 1] as number));
  return min;
}
