import { describe, expect, it } from 'vitest';
import { classifyResponse, isTransientStatus, parseRetryAfter } from '../../src/timetap/retry-policy.js';

describe('classifyResponse', () => {
  it.each([
    [200, 'ok'],
    [204, 'ok'],
    [401, 'unauthorized'],
    [404, 'not-found'],
    [408, 'transient'],
    [425, 'transient'],
    [429, 'transient'],
    [500, 'transient'],
    [502, 'transient'],
    [503, 'transient'],
    [599, 'transient'],
    [400, 'permanent'],
    [403, 'permanent'],
    [405, 'permanent'],
    [409, 'permanent'],
    [422, 'permanent'],
    [302, 'permanent'],
  ] as const)('%i is %s', (status, expected) => {
    expect(classifyResponse(status)).toBe(expected);
  });

  it('isTransientStatus agrees', () => {
    expect([408, 425, 429, 500, 503, 504].every(isTransientStatus)).toBe(true);
    expect([200, 400, 401, 403, 404, 410, 422].some(isTransientStatus)).toBe(false);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  const cap = 60_000;

  it('reads delta seconds', () => {
    expect(parseRetryAfter('1', now, cap)).toBe(1000);
    expect(parseRetryAfter(' 30 ', now, cap)).toBe(30_000);
    expect(parseRetryAfter('0', now, cap)).toBe(0);
    expect(parseRetryAfter('1.5', now, cap)).toBe(1500);
  });

  it('reads an HTTP date relative to now', () => {
    expect(parseRetryAfter('Wed, 01 May 2024 12:00:10 GMT', now, cap)).toBe(10_000);
  });

  it('treats a past date or a negative number as no extra wait', () => {
    expect(parseRetryAfter('Wed, 01 May 2024 11:00:00 GMT', now, cap)).toBe(0);
    expect(parseRetryAfter('-5', now, cap)).toBe(0);
  });

  it('caps absurd values', () => {
    expect(parseRetryAfter('999999999', now, cap)).toBe(cap);
    expect(parseRetryAfter('1e400', now, cap)).toBeUndefined();
    expect(parseRetryAfter('Fri, 01 Jan 2100 00:00:00 GMT', now, cap)).toBe(cap);
    expect(parseRetryAfter('120', now, 5000)).toBe(5000);
  });

  it('ignores a missing or unreadable header', () => {
    expect(parseRetryAfter(null, now, cap)).toBeUndefined();
    expect(parseRetryAfter(undefined, now, cap)).toBeUndefined();
    expect(parseRetryAfter('', now, cap)).toBeUndefined();
    expect(parseRetryAfter('soon', now, cap)).toBeUndefined();
    expect(parseRetryAfter('foo 12', now, cap)).toBeUndefined();
    expect(parseRetryAfter('12abc', now, cap)).toBeUndefined();
  });
});
