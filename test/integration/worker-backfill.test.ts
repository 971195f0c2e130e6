/**
 * `backfill` through the worker, against a real Redis, a real Postgres and the simulator: the
 * history older than the rolling window read in chunks (child jobs cut at fixed dates), each
 * complete chunk recorded so that a later backfill reads only what is left, a chunk that keeps
 * failing ending the backfill `partial` and read by the next one, and a backfill that outlives
 * its worker finished by the next.
 */
import { describe, expect, it } from 'vitest';
import { addDays, dateChunks, today } from '../../src/dates.js';
import { readFreshness } from '../../src/db/index.js';
import { enqueueBackfill } from '../../src/queue/enqueue.js';
import type { BackfillResult } from '../../src/queue/jobs.js';
import type { Simulator } from '../../src/simulator/index.js';
import type { TestDatabase } from '../helpers/database.js';
import { useSyncFixture, WALK_TABLES } from '../helpers/use-sync-fixture.js';
import { useWorkerHarness, type WorkerHarness } from '../helpers/worker.js';

const TODAY = today();
const CHUNK_DAYS = 7;
// The rolling window is TODAY-6..TODAY+6; the history before it is what a backfill reads.
const WINDOW = { APPOINTMENTS_PAST_DAYS: '6', APPOINTMENTS_FUTURE_DAYS: '6', APPOINTMENTS_CHUNK_DAYS: '7' };
const RETRY = { attempts: 2, backoffMs: 100 };

let database: TestDatabase;
let sim: Simulator;
let harness: WorkerHarness;

useSyncFixture(
  {
    simulator: {
      seed: 13,
      locations: 2,
      today: TODAY,
      appointments: { from: addDays(TODAY, -80), to: addDays(TODAY, 6), perStaffPerDay: 1 },
      latencyMs: 1,
    },
    simulatorPer: 'test',
    tables: [...WALK_TABLES, 'clients', 'appointments', 'backfill_chunks'],
  },
  (fixture) => ({ sim, database } = fixture),
);
useWorkerHarness(
  () => ({ sim, database, env: WINDOW }),
  (created) => (harness = created),
);

async function backfill(from: string, to: string, again = false): Promise<BackfillResult> {
  const { jobId } = await enqueueBackfill(harness.queue, { from, to, again }, RETRY);
  const job = await harness.queue.getJob(jobId);
  if (!job) throw new Error('job vanished');
  return (await harness.waitFor(job, 60_000)) as BackfillResult;
}

/** The ids of the live appointments mirrored between two dates, sorted. */
async function mirroredIds(from: string, to: string): Promise<number[]> {
  const rows = await database.db.$queryRaw<Array<{ id: bigint }>>`
    SELECT id FROM appointments
    WHERE deleted_at IS NULL AND start_date BETWEEN ${from} AND ${to} ORDER BY id`;
  return rows.map((r) => Number(r.id));
}

function truthIds(from: string, to: string): number[] {
  return sim.data
    .findAppointments({ from, to })
    .map((a) => a.calendarId)
    .sort((a, b) => a - b);
}

/** Chunks of `range` that a chunk of `done` covers: those a backfill after `done` skips. */
function coveredCount(range: { from: string; to: string }, done: { from: string; to: string }): number {
  const chunks = dateChunks({ startDate: range.from, endDate: range.to }, CHUNK_DAYS);
  const read = dateChunks({ startDate: done.from, endDate: done.to }, CHUNK_DAYS);
  return chunks.filter((c) => read.some((d) => d.startDate <= c.startDate && d.endDate >= c.endDate)).length;
}

async function chunkJobsOfRun(runId: number): Promise<number> {
  const jobs = await harness.queue.getJobs(['completed', 'failed']);
  return jobs.filter((j) => j.name === 'appointment-chunk' && (j.data as { runId: number }).runId === runId)
    .length;
}

describe('backfill', () => {
  it('reads the history in chunks and mirrors it; a wider backfill reads only what is left; --again reads all', async () => {
    await harness.start();
    const first = { from: addDays(TODAY, -40), to: addDays(TODAY, -7) };
    const firstChunks = dateChunks({ startDate: first.from, endDate: first.to }, CHUNK_DAYS);
    const one = await backfill(first.from, first.to);
    expect(one.status, one.reasons.join('\n')).toBe('succeeded');
    expect(one).toMatchObject({ scope: 'backfill', chunks: firstChunks.length, skipped: 0 });
    expect(truthIds(first.from, first.to).length).toBeGreaterThan(20);
    expect(await mirroredIds(first.from, first.to)).toEqual(truthIds(first.from, first.to));
    const recorded = await database.db.$queryRaw<Array<{ start_date: string; end_date: string }>>`
      SELECT start_date, end_date FROM backfill_chunks ORDER BY start_date`;
    expect(recorded.map((r) => ({ startDate: r.start_date, endDate: r.end_date }))).toEqual(firstChunks);
    const job = (await harness.queue.getJobs(['completed'])).find((j) => j.name === 'backfill');
    expect(job?.progress).toEqual({ done: firstChunks.length, total: firstChunks.length });

    const wider = { from: addDays(TODAY, -75), to: first.to };
    const skipped = coveredCount(wider, first);
    expect(skipped).toBeGreaterThan(2);
    const two = await backfill(wider.from, wider.to);
    expect(two.status, two.reasons.join('\n')).toBe('succeeded');
    const widerChunks = dateChunks({ startDate: wider.from, endDate: wider.to }, CHUNK_DAYS).length;
    expect(two).toMatchObject({ chunks: widerChunks, skipped });
    expect(await chunkJobsOfRun(two.runId)).toBe(widerChunks - skipped);
    expect(await mirroredIds(wider.from, wider.to)).toEqual(truthIds(wider.from, wider.to));

    const three = await backfill(wider.from, wider.to, true);
    expect(three).toMatchObject({ status: 'succeeded', chunks: widerChunks, skipped: 0 });
    expect(await chunkJobsOfRun(three.runId)).toBe(widerChunks);
    const runs = await database.db.$queryRaw<Array<{ scope: string; status: string }>>`
      SELECT scope, status FROM sync_runs ORDER BY id`;
    expect(runs).toEqual(Array(3).fill({ scope: 'backfill', status: 'succeeded' }));
  });

  it('a chunk that keeps failing ends the backfill partial and untouched; the next backfill reads only it', async () => {
    await harness.start();
    const range = { from: addDays(TODAY, -40), to: addDays(TODAY, -7) };
    const chunks = dateChunks({ startDate: range.from, endDate: range.to }, CHUNK_DAYS);
    const broken = chunks[1] as { startDate: string; endDate: string };
    sim.inject({
      path: /appointmentList/,
      query: { startDate: broken.startDate },
      fault: { type: 'status', status: 503 },
    });
    const one = await backfill(range.from, range.to);
    expect(one.status).toBe('partial');
    expect(one.reasons.join('\n')).toContain(broken.startDate);
    expect(await mirroredIds(broken.startDate, broken.endDate)).toEqual([]);
    // The range the backfill was asked for is recorded, and is incomplete while a chunk is missing.
    const asked = { startDate: range.from, endDate: range.to };
    const backfillState = async () =>
      (await readFreshness(database.db)).find((row) => row.scope === 'backfill');
    expect(await backfillState()).toMatchObject({
      appointmentsComplete: false,
      appointmentRanges: [{ ...asked, runId: one.runId, complete: false }],
    });

    sim.clearFaults();
    const two = await backfill(range.from, range.to);
    expect(two).toMatchObject({ status: 'succeeded', chunks: chunks.length, skipped: chunks.length - 1 });
    expect(await chunkJobsOfRun(two.runId)).toBe(1);
    expect(await mirroredIds(range.from, range.to)).toEqual(truthIds(range.from, range.to));
    expect(await backfillState()).toMatchObject({
      appointmentsComplete: true,
      appointmentRanges: [{ ...asked, runId: two.runId, complete: true }],
    });
  });

  it('a backfill whose worker stops half-way is finished by the next worker: every chunk read, none recorded twice', async () => {
    const first = await harness.start();
    sim.setLatency(150);
    const range = { from: addDays(TODAY, -75), to: addDays(TODAY, -7) };
    const chunks = dateChunks({ startDate: range.from, endDate: range.to }, CHUNK_DAYS);
    const { jobId } = await enqueueBackfill(harness.queue, range, RETRY);
    const countChunks = async () =>
      Number(
        (await database.db.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM backfill_chunks`)[0]?.n,
      );
    const deadline = Date.now() + 30_000;
    while ((await countChunks()) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await first.close();
    const left = await countChunks();
    expect(left).toBeGreaterThanOrEqual(2);
    expect(left).toBeLessThan(chunks.length);

    sim.setLatency(1);
    await harness.start();
    const job = await harness.queue.getJob(jobId);
    if (!job) throw new Error('job vanished');
    const result = (await harness.waitFor(job, 60_000)) as BackfillResult;
    expect(result.status, result.reasons.join('\n')).toBe('succeeded');
    expect(await countChunks()).toBe(chunks.length);
    expect(await mirroredIds(range.from, range.to)).toEqual(truthIds(range.from, range.to));
    const runs = await database.db.$queryRaw<Array<{ status: string }>>`SELECT status FROM sync_runs`;
    expect(runs).toEqual([{ status: 'succeeded' }]);
  });
});
