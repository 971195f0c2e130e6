/**
 * One job scheduler per account, at its own schedule: `default` keeps the id (and the job data)
 * a single-account worker always registered; an account removed from the configuration loses its
 * scheduler, so that nothing queues syncs of an account no worker knows. Other schedulers of the
 * queue are left alone.
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { schedulerIdOf, upsertJobSchedulers } from '../../src/queue/job-schedulers.js';
import { SCHEDULER_ID } from '../../src/queue/jobs.js';
import { deletePrefixed } from '../helpers/redis.js';

const RETRY = { attempts: 3, backoffMs: 200 };
let connection: Redis;
let queue: Queue;
let prefix: string;

beforeEach(() => {
  prefix = `tts-test-sched-${randomBytes(4).toString('hex')}`;
  connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  queue = new Queue('sync', { connection, prefix });
});
afterEach(async () => {
  await queue.close();
  await deletePrefixed(connection, prefix);
  await connection.quit();
});

async function schedulers() {
  const all = await queue.getJobSchedulers(0, -1);
  return all
    .map((s) => ({ id: s.key, pattern: s.pattern, data: s.template?.data }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

describe('upsertJobSchedulers', () => {
  it('registers one scheduler per account at its schedule; `default` keeps its id and data', async () => {
    await upsertJobSchedulers(
      queue,
      [
        { name: 'default', schedule: '0 * * * *' },
        { name: 'north', schedule: '15 * * * *' },
      ],
      RETRY,
    );
    // A second worker (or a reconnection) registering the same: nothing more.
    await upsertJobSchedulers(
      queue,
      [
        { name: 'default', schedule: '0 * * * *' },
        { name: 'north', schedule: '15 * * * *' },
      ],
      RETRY,
    );
    expect(schedulerIdOf('default')).toBe(SCHEDULER_ID);
    expect(await schedulers()).toEqual([
      { id: SCHEDULER_ID, pattern: '0 * * * *', data: { trigger: 'schedule' } },
      {
        id: `${SCHEDULER_ID}-north`,
        pattern: '15 * * * *',
        data: { trigger: 'schedule', account: 'north' },
      },
    ]);
  });

  it('removes the schedulers of accounts no longer configured, and only ours', async () => {
    await queue.upsertJobScheduler('someone-else', { pattern: '0 0 * * *' }, { name: 'other' });
    await upsertJobSchedulers(
      queue,
      [
        { name: 'default', schedule: '0 * * * *' },
        { name: 'north', schedule: '15 * * * *' },
        { name: 'south', schedule: '45 * * * *' },
      ],
      RETRY,
    );
    await upsertJobSchedulers(queue, [{ name: 'north', schedule: '30 * * * *' }], RETRY);
    expect(await schedulers()).toEqual([
      {
        id: `${SCHEDULER_ID}-north`,
        pattern: '30 * * * *',
        data: { trigger: 'schedule', account: 'north' },
      },
      { id: 'someone-else', pattern: '0 0 * * *', data: undefined },
    ]);
  });
});
