/**
 * Job data written only by the worker that still holds the job's lock. BullMQ's `job.updateData`
 * does not check the lock: a worker cut off from Redis for longer than its lock lasts (a network
 * partition, not a crash) keeps running its processor, and when it reaches Redis again its
 * delayed writes would replace the data of the attempt that took the job over (run id, step): the
 * full sync would then finish the stale run, fan out children for it, and leave the live run
 * `running`. The lock check and the write are one script, so no delayed write gets between them.
 */
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { defineScript } from '../redis/script.js';

const updateIfLocked = defineScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('HSET', KEYS[1], 'data', ARGV[2])
return 1`);

/** The job was taken over by another worker (or removed): this attempt must stop writing. */
export class LockLostError extends Error {
  override name = 'LockLostError';
}

export async function updateOwnedJobData<T>(
  redis: Redis,
  queue: Queue,
  job: Job<T>,
  token: string,
  data: T,
): Promise<void> {
  const jobKey = queue.toKey(job.id as string);
  const result = await updateIfLocked.run(redis, [jobKey, `${jobKey}:lock`], [token, JSON.stringify(data)]);
  if (result !== 1)
    throw new LockLostError(`job ${job.id} lost its lock to another worker; its data is left alone`);
  job.data = data;
}

/**
 * A job's own record of where it stands (a step-wise parent: full-sync, backfill): each patch is
 * written only while this attempt holds the job (tokenless calls, in tests, write directly).
 */
export function jobDataUpdater<T extends object>(
  deps: { redis: Redis; queue: Queue; logger: Logger },
  job: Job<T>,
  token: string | undefined,
): { data(): T; update(patch: Partial<T>): Promise<void> } {
  let data = job.data;
  return {
    data: () => data,
    async update(patch) {
      data = { ...data, ...patch };
      if (!token) return job.updateData(data);
      try {
        await updateOwnedJobData(deps.redis, deps.queue, job, token, data);
      } catch (error) {
        if (error instanceof LockLostError)
          deps.logger.warn({ jobId: job.id }, 'lost the job to another worker; this attempt stops');
        throw error;
      }
    },
  };
}
