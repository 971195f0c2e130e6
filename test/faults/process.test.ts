/**
 * Scenarios 9, 10 and 16: the worker process itself dies, is stopped, or is started and killed
 * in a hurry. BullMQ's lock and stall detection (short intervals here) hands the job to the next
 * worker; `sync_runs` accounts for every run, and the job scheduler never doubles.
 */
import { expect, it } from 'vitest';
import type { FullSyncData } from '../../src/queue/jobs.js';
import { delay, eventually, type FaultEnv } from './helpers/fault-env.js';
import { expectConvergedWithoutLeaks, useFaultEnv } from './helpers/scenario.js';
import { spawnWorker } from './helpers/worker-process.js';

const faultEnv = useFaultEnv();

type Result = { status: string; runId: number };

/** Waits until the full-sync job has started its run and is walking the account-wide lists. */
async function inAccountWalk(e: FaultEnv, jobId: string): Promise<number> {
  return eventually('the run to start', async () => {
    const data = (await e.queue.getJob(jobId))?.data as FullSyncData | undefined;
    return data?.step === 'start' && data.runId !== undefined ? data.runId : undefined;
  });
}

it('9: a worker killed with SIGKILL mid-sync: the job is picked up again in seconds, the dead run abandoned', async () => {
  const env = await faultEnv({ sim: { locations: 6, latencyMs: 2 } });
  const { sim } = env;
  const first = await env.startWorker();
  sim.setLatency(1_500); // the account-wide walk now takes seconds
  const jobId = await env.resync();
  const deadRun = await inAccountWalk(env, jobId);
  first.kill('SIGKILL');
  await first.exited;
  const killedAt = Date.now();
  sim.setLatency(2);

  await env.startWorker();
  const result = (await env.waitForJob(jobId, 30_000)) as Result;
  expect(Date.now() - killedAt).toBeLessThan(15_000);
  expect(result.status).toBe('succeeded');
  const runs = await env.runs();
  expect(runs.find((r) => r.id === deadRun)?.status).toBe('abandoned');
  expect(runs.map((r) => r.status)).toEqual(['abandoned', 'succeeded']);
  await expectConvergedWithoutLeaks(env);
});

it('9b: a worker killed with SIGKILL while the locations are walked: the run is finished once by the next worker', async () => {
  const env = await faultEnv({
    sim: { locations: 10, latencyMs: 2 },
    env: { WORKER_CONCURRENCY: '3' },
  });
  const { sim } = env;
  const first = await env.startWorker();
  const jobId = await env.resync();
  // Slow down once the account-wide lists are in: the kill lands among the location walks.
  await eventually('the fan-out', async () => {
    const data = (await env.queue.getJob(jobId))?.data as FullSyncData | undefined;
    return data?.step === 'finish' || data?.step === 'fan-out';
  });
  sim.setLatency(400);
  await eventually('a location walk in flight', async () => (await env.queue.getActiveCount()) >= 1);
  await delay(300);
  first.kill('SIGKILL');
  await first.exited;
  sim.setLatency(2);

  await env.startWorker();
  const result = (await env.waitForJob(jobId, 30_000)) as Result;
  expect(result.status).toBe('succeeded');
  const runs = await env.runs();
  expect(runs.filter((r) => r.status === 'succeeded')).toHaveLength(1);
  expect(runs.filter((r) => r.status === 'running')).toEqual([]);
  await expectConvergedWithoutLeaks(env);
});

it('10: SIGTERM mid-sync exits 0 within the grace period; the run is closed; the job is retried and converges', async () => {
  const env = await faultEnv({ sim: { locations: 6 }, env: { SHUTDOWN_GRACE_MS: '1500' } });
  const { sim } = env;
  const first = await env.startWorker();
  sim.setLatency(5_000); // longer than the grace period: the shutdown must abort the requests
  const jobId = await env.resync();
  const run = await inAccountWalk(env, jobId);
  await delay(200);
  const signalledAt = Date.now();
  first.kill('SIGTERM');
  const exit = await first.exited;
  const tookMs = Date.now() - signalledAt;
  expect(exit).toEqual({ code: 0, signal: null });
  expect(tookMs).toBeLessThan(1_500 + 3_000);
  const afterExit = (await env.runs()).find((r) => r.id === run);
  expect(afterExit?.status).not.toBe('running');
  expect(['failed', 'abandoned']).toContain(afterExit?.status);
  expect(afterExit?.error ?? '').toMatch(/shutdown|stopped|abort/i);

  sim.setLatency(2);
  await env.startWorker();
  const result = (await env.waitForJob(jobId, 30_000)) as Result;
  expect(result.status).toBe('succeeded');
  expect((await env.queue.getJob(jobId))?.attemptsMade).toBeGreaterThanOrEqual(2);
  const runs = await env.runs();
  expect(runs.map((r) => r.status).filter((s) => s === 'succeeded')).toHaveLength(1);
  expect(runs.filter((r) => r.status === 'running')).toEqual([]);
  await expectConvergedWithoutLeaks(env);
});

it('16: started and killed five times in a row, then two at once: one job scheduler, no double firing', async () => {
  const everyMs = 4_000;
  const e = await faultEnv({
    sim: { locations: 3 },
    env: { SYNC_SCHEDULE: '*/4 * * * * *', SYNC_SCHEDULE_ALLOW_SECONDS: 'true' },
  });
  // As fast as processes start here (a few seconds each): no timing is asserted, the machine sets it.
  for (let i = 0; i < 5; i++) {
    const worker = spawnWorker(e.env);
    e.workers.push(worker);
    await worker.started;
    worker.kill('SIGKILL');
    await worker.exited;
  }
  await Promise.all([e.startWorker(), e.startWorker()]);
  expect(await e.queue.getJobSchedulersCount()).toBe(1);
  const pending = (await e.queue.getJobs(['delayed', 'waiting', 'prioritized'])).filter(
    (j) => j.name === 'full-sync',
  );
  expect(pending.length).toBeLessThanOrEqual(1);

  const watchFrom = Date.now();
  await delay(3 * everyMs + 500);
  await eventually('no job active', async () => (await e.queue.getActiveCount()) === 0, 10_000);
  const elapsed = Date.now() - watchFrom;
  const runs = await e.database.db.$queryRaw<Array<{ job_id: string; status: string }>>`
    SELECT job_id, status FROM sync_runs WHERE trigger = 'schedule' ORDER BY id`;
  // One run per firing, each firing once: distinct jobs, no more than the intervals that passed.
  expect(new Set(runs.map((r) => r.job_id)).size).toBe(runs.length);
  expect(runs.length).toBeGreaterThanOrEqual(2);
  expect(runs.length).toBeLessThanOrEqual(Math.ceil((elapsed + 15_000) / everyMs));
  const completed = (await e.queue.getJobs(['completed'])).filter((j) => j.name === 'full-sync');
  const firings = new Set(completed.map((j) => j.timestamp - (j.timestamp % everyMs)));
  expect(firings.size).toBe(completed.length);
  expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
  expect(await e.queue.getJobSchedulersCount()).toBe(1);
  await expectConvergedWithoutLeaks(e);
});
