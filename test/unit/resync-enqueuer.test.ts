/**
 * `POST /resync` answers 503 at once while Redis is down, and within the deadline when Redis
 * accepts connections but does not answer: the queue and its connection are injected, as
 * stand-ins with the few members the enqueuer uses.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createResyncEnqueuer } from '../../src/queue/enqueue.js';
import { RedisUnavailableError } from '../../src/redis/connection.js';

const URL = 'redis://:hunter2-secret@cache.internal:6379/0';
const retry = { attempts: 1, backoffMs: 1 };

function fakeQueue(answer: () => Promise<unknown>): Queue {
  return {
    getJobs: () => answer().then(() => []),
    getDeduplicationJobId: () => answer().then(() => null),
    add: () => answer().then(() => ({ id: '42' })),
  } as unknown as Queue;
}

describe('createResyncEnqueuer', () => {
  it('fails at once while the connection is down', async () => {
    const enqueue = createResyncEnqueuer({
      queue: fakeQueue(() => new Promise(() => {})),
      redis: { status: 'reconnecting' } as Redis,
      redisUrl: URL,
      retry,
      trigger: 'http',
    });
    const began = performance.now();
    const failure = await enqueue({}).catch((error: unknown) => error);
    expect(performance.now() - began).toBeLessThan(50);
    expect(failure).toBeInstanceOf(RedisUnavailableError);
    expect((failure as Error).message).toBe('Redis at cache.internal:6379 is unreachable');
  });

  it('fails within its deadline when Redis does not answer', async () => {
    const enqueue = createResyncEnqueuer({
      queue: fakeQueue(() => new Promise(() => {})),
      redis: { status: 'ready' } as Redis,
      redisUrl: URL,
      retry,
      trigger: 'http',
      timeoutMs: 100,
    });
    const began = performance.now();
    await expect(enqueue({ locationId: 7 })).rejects.toThrow(
      'Redis at cache.internal:6379 did not answer within 0.1 s; is it running?',
    );
    expect(performance.now() - began).toBeLessThan(1_000);
  });

  it('queues the job when Redis answers', async () => {
    const enqueue = createResyncEnqueuer({
      queue: fakeQueue(() => Promise.resolve()),
      redis: { status: 'ready' } as Redis,
      redisUrl: URL,
      retry,
      trigger: 'http',
    });
    expect(await enqueue({ locationId: 7 })).toEqual({ jobId: '42', existing: false });
  });
});
