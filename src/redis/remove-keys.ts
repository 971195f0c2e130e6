/**
 * Removes every key that matches a pattern (a queue prefix's, say), a SCAN page at a time, so
 * that a large keyspace never blocks Redis the way KEYS would.
 */
import type { Redis } from 'ioredis';

export async function removeKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
