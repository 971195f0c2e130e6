/**
 * Scenario 12: Redis blackholed (no reset) for 15 s under a worker that is running a full sync.
 * The worker reaches Redis through our TCP proxy; a second worker connects directly. The first
 * worker's job lock expires during the blackhole, the second takes the job over and runs it once
 * more. When the blackhole lifts, everything the first worker sent meanwhile reaches Redis (TCP
 * delivers it late, it does not lose it): the stale worker must not be able to touch the job it
 * no longer owns (its data, its children) nor close a run that is not its own.
 */
import { expect, inject, it } from 'vitest';
import type { FullSyncData } from '../../src/queue/jobs.js';
import { delay, eventually } from './helpers/fault-env.js';
import { expectConvergedWithoutLeaks, useFaultEnv } from './helpers/scenario.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';

let proxy: TcpProxy | undefined;
const faultEnv = useFaultEnv({
  beforeCleanup: () => proxy?.setMode({ type: 'pass' }),
  afterCleanup: async () => {
    await proxy?.close();
    proxy = undefined;
  },
});

const BLACKHOLE_MS = 15_000;
type Result = { status: string; runId: number };

it('12: Redis blackholed for 15 s mid-sync: the lock is lost, the job runs again once, one succeeded run, converged', async () => {
  const redisUrl = inject('redisUrl');
  const e = await faultEnv({
    sim: { locations: 6, latencyMs: 2 },
    env: { WORKER_LOCK_DURATION_MS: '3000', WORKER_STALLED_INTERVAL_MS: '1000' },
  });
  const target = new URL(redisUrl);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
  const p = proxy;
  const stale = await e.startWorker({ REDIS_URL: p.urlFor(redisUrl) });

  // The account-wide walk now takes seconds: the blackhole lands in the middle of it.
  e.sim.setLatency(1_500);
  const jobId = await e.resync();
  const staleRun = await eventually('the first worker to start its run', async () => {
    const data = (await e.queue.getJob(jobId))?.data as FullSyncData | undefined;
    return data?.runId;
  });
  p.setMode({ type: 'blackhole' });
  const blackholedAt = Date.now();
  try {
    // Taken over directly: the stalled-job check finds the expired lock and this worker runs it.
    await e.startWorker();
    const takenOver = await eventually(
      'the second worker to take the job over',
      async () => {
        const data = (await e.queue.getJob(jobId))?.data as FullSyncData | undefined;
        return data?.runId !== undefined && data.runId !== staleRun ? data.runId : undefined;
      },
      BLACKHOLE_MS - 2_000,
      100,
    );
    expect(takenOver).toBeGreaterThan(staleRun);
    // Still slow, so that the new run is in flight when the stale worker's writes arrive.
    await delay(BLACKHOLE_MS - (Date.now() - blackholedAt));
  } finally {
    p.setMode({ type: 'pass' });
  }
  e.sim.setLatency(2);

  const result = (await e.waitForJob(jobId, 60_000)) as Result;
  expect(result.status).toBe('succeeded');
  // The stale worker's delayed writes landed, and were refused.
  await stale.waitForOutput(/lost the job to another worker/, 15_000);
  await delay(1_000);
  expect(stale.isAlive()).toBe(true);

  const runs = await e.runs();
  const succeeded = runs.filter((r) => r.status === 'succeeded');
  expect(succeeded).toHaveLength(1);
  expect(succeeded[0]?.id).toBe(result.runId);
  expect(runs.find((r) => r.id === staleRun)?.status).toBe('abandoned');
  // The job ran twice in all: the stale attempt and the one that finished.
  expect(runs.map((r) => r.id)).toEqual([staleRun, result.runId]);
  await eventually(
    'no run left running',
    async () => (await e.runs()).every((r) => r.status !== 'running'),
    10_000,
    500,
  );
  // The stale worker neither rewrote the job's data nor fanned out a run it did not own.
  const job = await e.queue.getJob(jobId);
  expect((job?.data as FullSyncData | undefined)?.runId).toBe(result.runId);
  const children = await e.queue.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed'], 0, 1_000);
  const strays = children.filter((j) => j.id?.startsWith(`run${staleRun}-`)).map((j) => j.id);
  expect(strays).toEqual([]);

  await expectConvergedWithoutLeaks(e);
});
