/** The simulator's hidden rate limit: a token bucket on an injected clock. */
import { describe, expect, it } from 'vitest';
import { createHiddenRateLimit, hiddenBurst } from '../../src/simulator/hidden-limit.js';

/** How many of `count` requests spread evenly over [from, from + ms) pass. */
function passed(limit: ReturnType<typeof createHiddenRateLimit>, from: number, ms: number, count: number) {
  let ok = 0;
  for (let i = 0; i < count; i += 1) if (limit.take(from + (i * ms) / count) === undefined) ok += 1;
  return ok;
}

describe('hidden rate limit', () => {
  it('is off unless set', () => {
    const limit = createHiddenRateLimit(undefined, 0);
    expect(passed(limit, 0, 1_000, 1_000)).toBe(1_000);
    expect(limit.refused()).toBe(0);
  });

  it('lets through the rate plus a small burst, refuses the rest with Retry-After in whole seconds', () => {
    const limit = createHiddenRateLimit(12, 0);
    expect(hiddenBurst(12)).toBe(3);
    // 100 requests in 10 s at 10/s... then 300 in 10 s at 30/s: 12/s pass, plus the burst.
    expect(passed(limit, 0, 10_000, 100)).toBe(100);
    const ok = passed(limit, 10_000, 10_000, 300);
    expect(ok).toBeGreaterThanOrEqual(120);
    expect(ok).toBeLessThanOrEqual(120 + 3);
    expect(limit.refused()).toBe(300 - ok);
    const retryAfter = limit.take(20_000);
    expect(retryAfter).toBe(1);
  });

  it('changes rate while running, keeping no more than the new burst', () => {
    const limit = createHiddenRateLimit(12, 0);
    limit.set(4, 0);
    expect(passed(limit, 0, 10_000, 300)).toBeLessThanOrEqual(40 + hiddenBurst(4));
    limit.set(undefined, 10_000);
    expect(passed(limit, 10_000, 1_000, 100)).toBe(100);
    limit.resetCount();
    expect(limit.refused()).toBe(0);
    expect(() => limit.set(0, 0)).toThrow(RangeError);
    // A rate below 1/s asks for more than a second.
    const slow = createHiddenRateLimit(0.25, 0);
    expect(passed(slow, 0, 1, 2)).toBe(2);
    expect(slow.take(1)).toBe(4);
  });
});
