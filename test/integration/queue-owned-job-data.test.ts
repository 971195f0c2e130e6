/**
 * owned-job-data.ts writes a job's data with a script of its own, so it depends on how BullMQ
 * keeps a job in Redis: a hash at `queue.toKey(id)` whose `data` field is the JSON of the data,
 * and the lock of the attempt under way at `<that key>:lock`, holding the processor's token. This
 * test pins that behaviour against the installed BullMQ: an upgrade that changes it fails here.
 */
import { randomUUID } from 'node:crypto';
import { Job, Queue, Worker } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { LockLostError, updateOwnedJobData } from '../../src/queue/owned-job-data.js';
import { useTestRedis } from '../helpers/redis.js';

const { connect, newKey } = useTestRedis('owned-job-data');

describe('updateOwnedJobData against the installed BullMQ', () => {
  it('writes while the attempt holds the lock, and refuses once another holds it', async () => {
    const prefix = newKey('bull');
    const redis = connect();
    const queue = new Queue('pin', { connection: redis, prefix });
    const seen: Record<string, unknown> = {};
    const done = new Promise<void>((resolve, reject) => {
      const worker = new Worker(
        'pin',
        async (job: Job<{ step: string }>, token?: string) => {
          try {
            const lockKey = `${queue.toKey(job.id as string)}:lock`;
            seen.lockHoldsToken = (await redis.get(lockKey)) === token;
            await updateOwnedJobData(redis, queue, job, token as string, { step: 'fan-out' });
            seen.stored = (await Job.fromId(queue, job.id as string))?.data;
            seen.inMemory = job.data;
            // Another attempt took the job over: its lock holds another token.
            await redis.set(lockKey, randomUUID());
            seen.refused = await updateOwnedJobData(redis, queue, job, token as string, {
              step: 'stale',
            }).then(
              () => false,
              (error: unknown) => error instanceof LockLostError,
            );
            seen.after = (await Job.fromId(queue, job.id as string))?.data;
            await redis.set(lockKey, token as string); // let this attempt complete
            resolve();
          } catch (error) {
            reject(error);
          }
          return 'ok';
        },
        { connection: connect(), prefix },
      );
      worker.on('error', reject);
      seen.close = () => worker.close();
    });
    await queue.add('pin', { step: 'start' });
    await done;
    await (seen.close as () => Promise<void>)();
    await queue.close();
    expect(seen).toMatchObject({
      lockHoldsToken: true,
      stored: { step: 'fan-out' },
      inMemory: { step: 'fan-out' },
      refused: true,
      after: { step: 'fan-out' },
    });
  });
});
