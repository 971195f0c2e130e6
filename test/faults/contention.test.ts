/**
 * Scenario 15: everything at once. Two worker processes share a queue whose job scheduler fires a
 * full sync every two seconds, and each time it fires five manual full resyncs arrive together.
 * One full sync may run at a time: no two full runs overlap in `sync_runs`, the extra requests are
 * folded into the pending one or skipped, nothing deadlocks or hits a unique constraint, and the
 * mirror converges.
 */
import { expect, it } from 'vitest';
import { SCHEDULER_ID } from '../../src/queue/jobs.js';
import { delay, eventually } from './helpers/fault-env.js';
import { expectConvergedWithoutLeaks, useFaultEnv } from './helpers/scenario.js';

const faultEnv = useFaultEnv();

const ROUNDS = 4;
const EVERY_MS = 2_000;

interface TimedRun {
  id: number;
  status: string;
  trigger: string;
  started_at: Date;
  finished_at: Date | null;
}

it('15: a scheduled sync, five manual resyncs and two workers at once: one full run at a time, no deadlock, converged', async () => {
  const e = await faultEnv({
    sim: { locations: 6, latencyMs: 15 },
    // BullMQ's cron patterns take a leading seconds field.
    env: { SYNC_SCHEDULE: '*/2 * * * * *', SYNC_SCHEDULE_ALLOW_SECONDS: 'true', WORKER_CONCURRENCY: '4' },
  });
  await Promise.all([e.startWorker(), e.startWorker()]);
  expect(await e.queue.getJobSchedulersCount()).toBe(1);

  const manual: string[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    // Just as the scheduler fires: on the next even second.
    await delay(EVERY_MS - (Date.now() % EVERY_MS) + 5);
    if (round === 1) {
      const [id] = [...e.sim.data.locations.keys()] as [number];
      e.sim.data.update('location', id, { locationName: 'Renamed under contention' });
    }
    manual.push(...(await Promise.all(Array.from({ length: 5 }, () => e.resync()))));
  }
  // The schedule goes, then everything queued drains.
  await e.queue.removeJobScheduler(SCHEDULER_ID);
  const results: Array<{ status?: string; skipped?: string }> = [];
  for (const jobId of new Set(manual))
    results.push((await e.waitForJob(jobId, 60_000)) as (typeof results)[0]);
  await eventually(
    'the queue to drain',
    async () => {
      const counts = await e.queue.getJobCounts('active', 'waiting', 'waiting-children', 'prioritized');
      return Object.values(counts).every((n) => n === 0);
    },
    60_000,
    200,
  );

  const runs = await e.database.db.$queryRaw<TimedRun[]>`
    SELECT id, status, trigger, started_at, finished_at FROM sync_runs WHERE scope = 'full' ORDER BY started_at`;
  expect(runs.filter((r) => r.status === 'running')).toEqual([]);
  expect(runs.filter((r) => r.status !== 'succeeded')).toEqual([]);
  // The scheduler fired under contention: its jobs were processed (each ran a sync, or stood
  // aside for a manual one already running; which one wins is a matter of milliseconds).
  const completed = await e.queue.getJobs(['completed'], 0, 1000);
  expect(completed.some((job) => job.name === 'full-sync' && job.data?.trigger === 'schedule')).toBe(true);
  // Each manual request ran a sync of its own or stood aside for the one already running.
  for (const result of results) {
    if (result.skipped === undefined) expect(result.status).toBe('succeeded');
    else expect(result.skipped).toMatch(/a full sync is already running/);
  }
  // One at a time: each run started after the one before it had finished.
  for (let i = 1; i < runs.length; i += 1) {
    const before = runs[i - 1] as TimedRun;
    const after = runs[i] as TimedRun;
    expect(
      after.started_at.getTime(),
      `run ${after.id} started while run ${before.id} was running`,
    ).toBeGreaterThanOrEqual((before.finished_at as Date).getTime());
  }

  const output = e.output();
  expect(output).not.toMatch(/deadlock|unique constraint|duplicate key|40P01|23505/i);
  expect(e.workers.every((w) => w.isAlive())).toBe(true);
  await expectConvergedWithoutLeaks(e);
});
