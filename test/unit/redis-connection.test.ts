import { describe, expect, it } from 'vitest';
import {
  asRedisFailure,
  isDatabaseRefused,
  RedisUnavailableError,
  redisDatabase,
  redisHost,
  redisRetryDelay,
  unreachable,
} from '../../src/redis/connection.js';

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

describe('redisHost and redisDatabase', () => {
  it('name host, port and database; never the user or password', () => {
    expect(redisHost('redis://user:s3cret@redis.internal:6380/2')).toBe('redis.internal:6380');
    expect(redisHost('rediss://:pw-only@host')).toBe('host:6379');
    expect(redisHost('not a url with s3cret')).toBe('[unparseable REDIS_URL]');
    expect(redisDatabase('redis://h:1/7')).toBe(7);
    expect(redisDatabase('redis://h:1')).toBe(0);
  });
});

describe('one-line Redis failures', () => {
  const url = 'redis://admin:hunter2-secret@cache.internal:6390/3';
  const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6390'), { code: 'ECONNREFUSED' });

  it('say Redis, its host and the kind of failure, never the password or the raw error', () => {
    const failure = unreachable(url, refused);
    expect(failure).toBeInstanceOf(RedisUnavailableError);
    expect(failure.message).toBe(
      'cannot reach Redis at cache.internal:6390 (connection refused); is it running?',
    );
    expect(unreachable(url, undefined, 3_000).message).toBe(
      'Redis at cache.internal:6390 did not answer within 3 s; is it running?',
    );
    const wrongPassword = unreachable(url, new Error('WRONGPASS invalid username-password pair'));
    expect(wrongPassword.message).toContain('refused the password of REDIS_URL');
    for (const error of [failure, wrongPassword]) expect(error.message).not.toContain('hunter2');
  });

  it('tell Redis failures from other errors', () => {
    expect(asRedisFailure(url, refused)?.message).toContain('cache.internal:6390');
    expect(asRedisFailure(url, new Error('Connection is closed.'))?.message).toContain('connection closed');
    expect(
      asRedisFailure(url, new Error("Stream isn't writeable and enableOfflineQueue options is false")),
    ).toBeDefined();
    expect(asRedisFailure(url, new Error('Command timed out'))?.message).toContain('timed out');
    expect(asRedisFailure(url, new TypeError('x is not a function'))).toBeUndefined();
  });

  it('recognise a refused database index', () => {
    expect(isDatabaseRefused(new Error('ERR DB index is out of range'))).toBe(true);
    expect(isDatabaseRefused(new Error('ERR invalid DB index'))).toBe(true);
    expect(isDatabaseRefused(new Error('ECONNREFUSED'))).toBe(false);
  });
});
