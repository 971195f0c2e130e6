import { describe, expect, it } from 'vitest';
import { redisRetryDelay, urlWithoutPassword } from '../../src/redis/connection.js';

describe('redisRetryDelay', () => {
  it('backs off exponentially from 100 ms to a 20 s cap and never gives up', () => {
    expect(redisRetryDelay(1)).toBeGreaterThanOrEqual(100);
    expect(redisRetryDelay(1)).toBeLessThanOrEqual(110);
    expect(redisRetryDelay(4)).toBeGreaterThanOrEqual(800);
    for (const times of [20, 100, 10_000]) {
      const delay = redisRetryDelay(times);
      expect(delay).toBeGreaterThanOrEqual(20_000);
      expect(delay).toBeLessThanOrEqual(22_000);
    }
  });
});

describe('urlWithoutPassword', () => {
  it('masks the password and keeps host, port and database', () => {
    const safe = urlWithoutPassword('redis://user:s3cret@redis.internal:6380/2');
    expect(safe).not.toContain('s3cret');
    expect(safe).toContain('redis.internal:6380/2');
    expect(urlWithoutPassword('rediss://:pw-only@host:6379')).not.toContain('pw-only');
    expect(urlWithoutPassword('not a url with password')).toBe('[unparseable redis url]');
  });
});
