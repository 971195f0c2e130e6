import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/commands/duration.js';

describe('parseDuration', () => {
  it('reads ms, s, m, h and bare seconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('90')).toBe(90_000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration(' 10 M ')).toBe(600_000);
  });

  it('refuses anything else', () => {
    for (const text of ['', 'abc', '-5s', '0', '10d', '1e3', '5 minutes'])
      expect(parseDuration(text)).toBeUndefined();
  });

  it('formats for messages', () => {
    expect(formatDuration(2_000)).toBe('2 s');
    expect(formatDuration(600_000)).toBe('10 min');
    expect(formatDuration(250)).toBe('250 ms');
  });
});
