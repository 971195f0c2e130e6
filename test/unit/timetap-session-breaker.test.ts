import { describe, expect, it } from 'vitest';
import { SessionBreakerOpenError } from '../../src/errors.js';
import { createSessionBreaker } from '../../src/timetap/session-breaker.js';
import { createTokenUses } from '../../src/timetap/token-uses.js';

describe('session breaker', () => {
  it('opens when most recent calls were refused, stays open for the cool-down, then lets one try', () => {
    let now = 0;
    const breaker = createSessionBreaker({ coolDownMs: 1000, now: () => now });
    for (let i = 0; i < 3; i++) breaker.succeeded();
    for (let i = 0; i < 4; i++) breaker.refused();
    expect(() => breaker.check()).not.toThrow(); // 4 of 7: not yet
    for (let i = 0; i < 8; i++) breaker.refused();
    expect(() => breaker.check()).toThrow(SessionBreakerOpenError);
    now = 999;
    expect(() => breaker.check()).toThrow(/refused the session for \d+ of the last \d+ calls/);
    now = 1000;
    expect(() => breaker.check()).not.toThrow(); // half-open: one call may try
    breaker.refused(); // and a single refusal opens it again
    expect(() => breaker.check()).toThrow(SessionBreakerOpenError);
    now = 2000;
    breaker.succeeded(); // a success after the cool-down closes it
    breaker.refused();
    expect(() => breaker.check()).not.toThrow();
  });

  it('never opens while successes keep coming, whatever the refusals of one scope', () => {
    const breaker = createSessionBreaker();
    for (let i = 0; i < 100; i++) {
      breaker.succeeded();
      breaker.succeeded();
      breaker.refused();
    }
    expect(() => breaker.check()).not.toThrow();
  });
});

describe('token uses', () => {
  it('reads a 401: alive when a later call passed with the token, unused when none ever did, else consumed', () => {
    const uses = createTokenUses();
    uses.succeeded('t1', 10);
    expect(uses.verdict('t1', 5, false)).toBe('alive'); // sent at 10, after our 401 at 5
    expect(uses.verdict('t1', 20, false)).toBe('consumed');
    expect(uses.verdict('t2', 20, false)).toBe('unused');
    expect(uses.verdict('t2', 20, true)).toBe('consumed'); // another process used it
    uses.succeeded('t1', 30);
    expect(uses.served('t1')).toBe(2);
    expect(uses.served('t2')).toBe(0);
  });
});
