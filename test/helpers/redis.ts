/**
 * Redis for a test file: connections that are all closed after each test, and a key prefix of
 * the test's own whose keys are deleted afterwards. Each connection plays one "process".
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, inject } from 'vitest';

export interface TestRedis {
  /** A new connection, closed after the test. */
  connect(): Redis;
  /** A fresh key under a prefix of this test's own, e.g. `<prefix>:timetap:session`. */
  newKey(suffix: string): string;
}

export function useTestRedis(name: string): TestRedis {
  const connections: Redis[] = [];
  let prefix = '';
  const connect = () => {
    const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    connections.push(redis);
    return redis;
  };
  afterEach(async () => {
    const admin = connect();
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await Promise.all(connections.splice(0).map((redis) => redis.quit().catch(() => redis.disconnect())));
  });
  return {
    connect,
    newKey(suffix) {
      prefix = `test:${name}:${randomUUID()}`;
      return `${prefix}:${suffix}`;
    },
  };
}

/** Deletes every key under a queue prefix: what a worker a test started leaves in Redis. */
export async function deletePrefixed(redis: Redis, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
}

/**
 * A queue prefix of this test file's own (`tts-<name>-<random>`), its keys deleted after the
 * file: for the tests that start a worker process, which cannot clean up after itself.
 */
export function useQueuePrefix(name: string): string {
  const prefix = `tts-${name}-${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    const redis = new Redis(inject('redisUrl'));
    await deletePrefixed(redis, prefix);
    redis.disconnect();
  });
  return prefix;
}
