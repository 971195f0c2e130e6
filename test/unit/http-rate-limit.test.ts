import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../src/http/rate-limit.js';

function clock(start: number) {
  let time = start;
  return {
    now: () => time,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

describe('createRateLimiter', () => {
  it('allows `limit` attempts per key and window, then says how long to wait', () => {
    const time = clock(60_000 * 100 + 15_000);
    const limiter = createRateLimiter({ limit: 2, windowMs: 60_000, now: time.now });
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(true);
    const refused = limiter.take('a');
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 45 });
    expect(limiter.take('b').allowed).toBe(true);
  });

  it('starts afresh in the next window', () => {
    const time = clock(0);
    const limiter = createRateLimiter({ limit: 1, windowMs: 1_000, now: time.now });
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    time.advance(1_000);
    expect(limiter.take('a').allowed).toBe(true);
  });

  it('peeks without counting', () => {
    const limiter = createRateLimiter({ limit: 1, windowMs: 60_000, now: () => 0 });
    expect(limiter.peek('a').allowed).toBe(true);
    expect(limiter.peek('a').allowed).toBe(true);
    limiter.take('a');
    expect(limiter.peek('a').allowed).toBe(false);
  });

  it('never asks to wait less than a second', () => {
    const limiter = createRateLimiter({ limit: 1, windowMs: 1_000, now: () => 999.9 });
    limiter.take('a');
    expect(limiter.take('a').retryAfterSeconds).toBe(1);
  });

  it('refuses nonsense limits', () => {
    expect(() => createRateLimiter({ limit: 0, windowMs: 1_000 })).toThrow();
    expect(() => createRateLimiter({ limit: 1, windowMs: 0 })).toThrow();
  });
});
