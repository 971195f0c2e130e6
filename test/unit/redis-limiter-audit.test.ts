import { describe, expect, it } from 'vitest';
import { maxGrantsInWindow, minGrantGapUs } from '../../src/redis/limiter-audit.js';

describe('maxGrantsInWindow', () => {
  it('counts the busiest half-open window', () => {
    const evenly = Array.from({ length: 21 }, (_, i) => i * 50_000); // 0 .. 1,000,000 µs
    expect(maxGrantsInWindow(evenly)).toBe(20); // [0, 1 s) excludes the grant at exactly 1 s
    expect(maxGrantsInWindow([...evenly.slice(0, 20), 999_999])).toBe(21);
    expect(maxGrantsInWindow([5, 3_000_000, 1, 2_000_000])).toBe(2);
    expect(maxGrantsInWindow([])).toBe(0);
  });
});

describe('minGrantGapUs', () => {
  it('finds the closest pair, unsorted input included', () => {
    expect(minGrantGapUs([300, 100, 160])).toBe(60);
    expect(minGrantGapUs([1])).toBe(Number.POSITIVE_INFINITY);
  });
});
