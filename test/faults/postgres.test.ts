/**
 * Scenario 13: Postgres restarted (fast, then immediate shutdown mode) while the worker process
 * is writing. The process stays alive, the failure counts as transient (the job is retried, not
 * given up), and the mirror converges.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from './helpers/fault-env.js';
import { useFaultEnv } from './helpers/scenario.js';
import { secretLeaks } from './helpers/secrets.js';
import { ensureServices, restartPostgres } from './helpers/services.js';

beforeAll(ensureServices);
const faultEnv = useFaultEnv({ beforeCleanup: ensureServices });
afterAll(ensureServices);

type Result = { status: string };

it('13: Postgres restarted mid-upsert (fast and immediate): the worker lives, the job is retried, converged', async () => {
  const e = await faultEnv({
    sim: { locations: 8, latencyMs: 60 },
    env: { JOB_ATTEMPTS: '6', JOB_BACKOFF_MS: '1000', WORKER_CONCURRENCY: '4' },
  });
  const worker = await e.startWorker();
  for (const mode of ['fast', 'immediate'] as const) {
    const [locationId] = [...e.sim.data.locations.keys()] as [number];
    e.sim.data.update('location', locationId, { locationName: `Before ${mode} restart` });
    const jobId = await e.resync();
    // Restart once location walks are writing.
    await eventually(
      'location walks to run',
      async () => (await e.queue.getJobs(['active'])).some((j) => j.name === 'location-walk'),
      30_000,
      20,
    );
    await restartPostgres(mode);
    const result = (await e.waitForJob(jobId, 90_000)) as Result;
    expect(worker.isAlive()).toBe(true);
    expect(result.status).toBe('succeeded');
    await eventually('the mirror to be readable again', async () => {
      try {
        await e.database.db.$queryRaw`SELECT 1`;
        return true;
      } catch {
        return false;
      }
    });
    await e.expectConverged();
  }
  // Transient: some job failed an attempt and was tried again; none was given up as unrecoverable.
  const output = e.output();
  expect(output).toMatch(/"msg":"job failed/);
  expect(output).not.toMatch(/UnrecoverableError/);
  const retried = (await e.queue.getJobs(['completed'])).filter((j) => j.attemptsMade > 1);
  expect(retried.length).toBeGreaterThan(0);
  const runs = await e.runs();
  expect(runs.filter((r) => r.status === 'running')).toEqual([]);
  expect(runs.filter((r) => r.status === 'succeeded')).toHaveLength(2);
  expect(await secretLeaks(e)).toEqual([]);
});
