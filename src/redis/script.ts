/**
 * A Lua script run by its SHA, loaded on first use and again after a Redis restart (NOSCRIPT).
 * Not `redis.defineCommand`: that would add methods to a connection shared with BullMQ, and
 * typing them needs declaration merging on ioredis' class.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface RedisScript {
  run(redis: Redis, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown>;
}

export function defineScript(source: string): RedisScript {
  const sha = createHash('sha1').update(source).digest('hex');
  return {
    async run(redis, keys, args) {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        // EVAL caches the script under the same SHA, so the next call is cheap again.
        return redis.eval(source, keys.length, ...keys, ...args);
      }
    },
  };
}
