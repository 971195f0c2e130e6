import { describe, expect, it } from 'vitest';
import { DEFAULT_ACCOUNT } from '../../src/account.js';
import type { Db } from '../../src/db/database.js';
import { abandonStaleRuns, finishRun, heartbeatRun, recentRuns, startRun } from '../../src/db/sync-runs.js';
import { useTestDatabase } from '../helpers/use-database.js';

let db: Db;

useTestDatabase([], (database) => {
  db = database.db;
});

const counts = { inserted: 1, updated: 2, unchanged: 3, deleted: 4, skipped: 5 };

describe('sync_runs', () => {
  it('goes from running to finished exactly once', async () => {
    const id = await startRun(db, {
      account: DEFAULT_ACCOUNT,
      scope: 'location',
      locationId: 4242,
      trigger: 'manual',
      jobId: 'job-1',
      workerId: 'w1',
    });
    let [run] = await recentRuns(db, 1);
    expect(run).toMatchObject({
      id,
      scope: 'location',
      locationId: 4242,
      trigger: 'manual',
      status: 'running',
      finishedAt: null,
      jobId: 'job-1',
      workerId: 'w1',
      apiCalls: 0,
    });
    const startedHeartbeat = run?.heartbeatAt.getTime() ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await heartbeatRun(db, id)).toBe(true);
    [run] = await recentRuns(db, 1);
    expect(run?.heartbeatAt.getTime()).toBeGreaterThan(startedHeartbeat);

    const finished = await finishRun(db, id, {
      status: 'partial',
      stats: { staff: counts },
      apiCalls: 12,
      retries: 2,
      relogins: 1,
      error: 'location 7 refused',
    });
    expect(finished).toBe(true);
    [run] = await recentRuns(db, 1);
    expect(run).toMatchObject({
      status: 'partial',
      stats: { staff: counts },
      apiCalls: 12,
      retries: 2,
      relogins: 1,
      error: 'location 7 refused',
    });
    expect(run?.finishedAt?.getTime()).toBeGreaterThanOrEqual(
      run?.startedAt.getTime() ?? Number.POSITIVE_INFINITY,
    );

    expect(
      await finishRun(db, id, { status: 'failed', stats: {}, apiCalls: 0, retries: 0, relogins: 0 }),
    ).toBe(false);
    expect(await heartbeatRun(db, id)).toBe(false);
    [run] = await recentRuns(db, 1);
    expect(run?.status).toBe('partial');
  });

  it('marks runs whose heartbeat went stale as abandoned, and only those; a job that outlives its worker still finishes one', async () => {
    const stale = await startRun(db, { account: DEFAULT_ACCOUNT, scope: 'full', trigger: 'schedule' });
    const fresh = await startRun(db, { account: DEFAULT_ACCOUNT, scope: 'full', trigger: 'schedule' });
    await db.$executeRaw`UPDATE sync_runs SET heartbeat_at = now() - interval '10 minutes' WHERE id = ${stale}`;

    expect(await abandonStaleRuns(db, 60_000)).toBe(1);
    const runs = new Map((await recentRuns(db, 10)).map((r) => [r.id, r]));
    expect(runs.get(stale)).toMatchObject({ status: 'abandoned', error: 'process died' });
    expect(runs.get(stale)?.finishedAt).toBeInstanceOf(Date);
    expect(runs.get(fresh)?.status).toBe('running');
    expect(await heartbeatRun(db, stale)).toBe(false);
    expect(await abandonStaleRuns(db, 60_000)).toBe(0);
    // A job that outlived its worker (taken over by another) brings the run to its end, once.
    expect(
      await finishRun(db, stale, { status: 'succeeded', stats: {}, apiCalls: 0, retries: 0, relogins: 0 }),
    ).toBe(true);
    expect(
      await finishRun(db, stale, { status: 'failed', stats: {}, apiCalls: 0, retries: 0, relogins: 0 }),
    ).toBe(false);
    expect((await recentRuns(db, 10)).find((r) => r.id === stale)?.status).toBe('succeeded');
    await finishRun(db, fresh, { status: 'succeeded', stats: {}, apiCalls: 0, retries: 0, relogins: 0 });
  });

  it('a run closed as abandoned by the job that started again stays abandoned: the late attempt cannot reopen it', async () => {
    const run = await startRun(db, { account: DEFAULT_ACCOUNT, scope: 'full', trigger: 'schedule' });
    const outcome = { stats: {}, apiCalls: 0, retries: 0, relogins: 0 };
    expect(
      await finishRun(db, run, { ...outcome, status: 'abandoned', error: 'the job was picked up again' }),
    ).toBe(true);
    expect(await finishRun(db, run, { ...outcome, status: 'failed', error: 'lost the job' })).toBe(false);
    expect((await recentRuns(db, 10)).find((r) => r.id === run)).toMatchObject({
      status: 'abandoned',
      error: 'the job was picked up again',
    });
  });

  it('lists runs newest first, as many as asked', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++)
      ids.push(await startRun(db, { account: DEFAULT_ACCOUNT, scope: 'full', trigger: 'cli' }));
    const runs = await recentRuns(db, 2);
    expect(runs.map((r) => r.id)).toEqual([ids[2], ids[1]]);
  });
});
