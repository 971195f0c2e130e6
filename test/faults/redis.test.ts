/**
 * Scenario 11: Redis stopped (and started again, empty: it keeps nothing on disk) for longer than
 * BullMQ's drain delay, once while the worker is idle and once mid-job. The worker process must
 * ride it out and consume again, with its job scheduler in place.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { delay, eventually } from './helpers/fault-env.js';
import { useFaultEnv } from './helpers/scenario.js';
import { secretLeaks } from './helpers/secrets.js';
import { ensureServices, startRedis, stopRedis } from './helpers/services.js';

beforeAll(ensureServices);
const faultEnv = useFaultEnv({ beforeCleanup: startRedis });
afterAll(ensureServices);

const OUTAGE_MS = 7_000; // BullMQ's drain delay is 5 s
type Result = { status: string };

it('11: Redis stopped while idle and mid-job: the worker survives, consumes again, one job scheduler, converged', async () => {
  const e = await faultEnv({
    sim: { locations: 6 },
  });
  const worker = await e.startWorker();
  expect(((await e.waitForJob(await e.resync())) as Result).status).toBe('succeeded');
  expect(await e.queue.getJobSchedulersCount()).toBe(1);

  // Idle.
  try {
    await stopRedis();
    await delay(OUTAGE_MS);
  } finally {
    await startRedis();
  }
  expect(worker.isAlive()).toBe(true);
  e.sim.data.update('location', [...e.sim.data.locations.keys()][0] as number, {
    locationName: 'After outage 1',
  });
  const afterIdle = await e.resync();
  expect(((await e.waitForJob(afterIdle, 60_000)) as Result).status).toBe('succeeded');
  await e.expectConverged();
  await eventually('one job scheduler', async () => (await e.queue.getJobSchedulersCount()) === 1, 10_000);

  // Mid-job: the walk is slowed down so that the outage lands in the middle of it.
  e.sim.setLatency(400);
  const midJob = await e.resync();
  await eventually('the job to run', async () => (await e.queue.getJob(midJob))?.data?.runId !== undefined);
  try {
    await stopRedis();
    await delay(OUTAGE_MS);
  } finally {
    await startRedis();
  }
  e.sim.setLatency(2);
  expect(worker.isAlive()).toBe(true);
  e.sim.data.update('location', [...e.sim.data.locations.keys()][1] as number, {
    locationName: 'After outage 2',
  });
  // The job in flight was lost with Redis' memory; a resync asked for now completes.
  const afterMidJob = await eventually(
    'a resync to complete',
    async () => {
      const result = (await e.waitForJob(await e.resync(), 60_000)) as Result & { skipped?: string };
      return result.skipped === undefined ? result : undefined;
    },
    60_000,
    1_000,
  );
  expect(afterMidJob.status).toBe('succeeded');
  expect(worker.isAlive()).toBe(true);
  await e.expectConverged();
  expect(await e.queue.getJobSchedulersCount()).toBe(1);
  await eventually(
    'no run left running',
    async () => (await e.runs()).every((r) => r.status !== 'running'),
    15_000,
    500,
  );
  expect(await secretLeaks(e)).toEqual([]);
});
