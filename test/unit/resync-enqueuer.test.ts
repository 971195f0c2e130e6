/**
 * `POST /resync` answers 503 at once while Redis is down, and within the deadline when Redis
 * accepts connections but does not answer (then "not confirmed": the job may still be queued):
 * the queue and its connection are injected, as stand-ins with the few members the enqueuer uses.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { isUnconfirmed } from '../../src/errors.js';
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
      accounts: ['default'],
    });
    const began = performance.now();
    const failure = await enqueue({}).catch((error: unknown) => error);
    expect(performance.now() - began).toBeLessThan(50);
    expect(failure).toBeInstanceOf(RedisUnavailableError);
    expect((failure as Error).message).toBe('Redis at cache.internal:6379 is unreachable');
  });

  it('fails within its deadline when Redis does not answer: not confirmed, and told to the outage log', async () => {
    let answer: () => void = () => undefined;
    const outages = { lost: [] as string[], restored: 0 };
    const enqueue = createResyncEnqueuer({
      queue: fakeQueue(() => new Promise<void>((resolve) => (answer = resolve))),
      redis: { status: 'ready' } as Redis,
      redisUrl: URL,
      retry,
      trigger: 'http',
      accounts: ['default'],
      timeoutMs: 100,
      outages: {
        lost: (reason) => void outages.lost.push(reason),
        restored: () => void outages.restored++,
        isDown: () => outages.lost.length > outages.restored,
      },
    });
    const began = performance.now();
    const failure = await enqueue({ locationId: 7 }).catch((error: unknown) => error);
    expect(performance.now() - began).toBeLessThan(1_000);
    expect(isUnconfirmed(failure)).toBe(true);
    expect((failure as Error).message).toBe(
      'Redis at cache.internal:6379 did not answer within 0.1 s: the command was sent but not ' +
        'confirmed, and may still be carried out once Redis answers',
    );
    expect(outages).toEqual({ lost: ['no answer within 0.1 s'], restored: 0 });
    // The late answers (the enqueuer's three commands) end the hang.
    for (let i = 0; i < 3; i++) {
      answer();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(outages.restored).toBe(1);
  });

  it('queues the job when Redis answers', async () => {
    const enqueue = createResyncEnqueuer({
      queue: fakeQueue(() => Promise.resolve()),
      redis: { status: 'ready' } as Redis,
      redisUrl: URL,
      retry,
      trigger: 'http',
      accounts: ['default'],
    });
    expect(await enqueue({ locationId: 7 })).toEqual({
      jobId: '42',
      existing: false,
      jobs: [{ account: 'default', jobId: '42', existing: false }],
    });
  });
});

describe('createResyncEnqueuer with several accounts', () => {
  const enqueuer = (accounts: string[]) => {
    const added: Array<{ name: string; data: unknown }> = [];
    const queue = {
      getJobs: async () => [],
      getDeduplicationJobId: async () => null,
      add: async (name: string, data: unknown) => {
        added.push({ name, data });
        return { id: `job-${added.length}` };
      },
    } as unknown as Queue;
    const enqueue = createResyncEnqueuer({
      queue,
      redis: { status: 'ready' } as Redis,
      redisUrl: URL,
      retry,
      trigger: 'http',
      accounts,
    });
    return { enqueue, added };
  };

  it('syncs every account when none is named, and the named one only when one is', async () => {
    const all = enqueuer(['north', 'south']);
    const answer = await all.enqueue({});
    expect(answer.jobs).toEqual([
      { account: 'north', jobId: 'job-1', existing: false },
      { account: 'south', jobId: 'job-2', existing: false },
    ]);
    expect(all.added.map((a) => (a.data as { account: string }).account)).toEqual(['north', 'south']);
    const one = enqueuer(['north', 'south']);
    await one.enqueue({ account: 'south', locationId: 4 });
    expect(one.added).toEqual([
      { name: 'location-sync', data: { trigger: 'http', account: 'south', locationId: 4 } },
    ]);
  });

  it('refuses an unknown account, and a location without its account, queueing nothing', async () => {
    const { enqueue, added } = enqueuer(['north', 'south']);
    await expect(enqueue({ account: 'west' })).rejects.toThrow('account "west" is not configured');
    await expect(enqueue({ locationId: 4 })).rejects.toThrow('a location belongs to one account');
    expect(added).toEqual([]);
  });
});
