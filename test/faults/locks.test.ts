/**
 * Scenario 14 (the table-lock half): a table the sync writes is locked by another session. The
 * worker's statements fail within the configured statement timeout instead of hanging, the job is
 * retried, and once the lock is released the mirror converges.
 */
import pg from 'pg';
import { expect, it } from 'vitest';
import { delay } from './helpers/fault-env.js';
import { expectConvergedWithoutLeaks, useFaultEnv } from './helpers/scenario.js';

const faultEnv = useFaultEnv();

type Result = { status: string };

it('14: a locked table: errors within the statement timeout, no hang, retried after release, converged', async () => {
  const e = await faultEnv({
    sim: { locations: 4 },
    env: { DATABASE_STATEMENT_TIMEOUT_MS: '1000', JOB_ATTEMPTS: '8', JOB_BACKOFF_MS: '500' },
  });
  const worker = await e.startWorker();
  const locker = new pg.Client({ connectionString: e.database.url });
  await locker.connect();
  try {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE staff IN ACCESS EXCLUSIVE MODE');
    const lockedAt = Date.now();
    const jobId = await e.resync();
    const line = await worker.waitForOutput(/statement timeout|job failed/, 15_000);
    expect(Date.now() - lockedAt).toBeLessThan(10_000); // no hang: the timeout fired
    expect(line).not.toMatch(/UnrecoverableError/);
    await delay(2_000);
    await locker.query('COMMIT');
    const result = (await e.waitForJob(jobId, 60_000)) as Result & { reasons?: string[] };
    expect(result.status, JSON.stringify(result.reasons)).toBe('succeeded');
  } finally {
    await locker.end().catch(() => undefined);
  }
  expect(worker.isAlive()).toBe(true);
  expect((await e.runs()).filter((r) => r.status === 'running')).toEqual([]);
  await expectConvergedWithoutLeaks(e);
});
