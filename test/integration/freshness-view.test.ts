/**
 * `mirror_freshness_view` (read through readFreshness): on hand-made runs, every column against
 * what the runs say; then on runs a real sync recorded against the simulator, that the view
 * tells a complete window from one with a chunk that failed, and a guard that held from a clean
 * run, from the runs' own counts rather than from their reasons.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, today } from '../../src/dates.js';
import { type Db, readFreshness, type ScopeFreshness } from '../../src/db/index.js';
import { type Simulator, startSimulator } from '../../src/simulator/index.js';
import { runSync } from '../../src/sync/run-sync.js';
import type { TestDatabase } from '../helpers/database.js';
import { createTestSyncDeps } from '../helpers/sync.js';
import { useTestDatabase } from '../helpers/use-database.js';

let database: TestDatabase;
let db: Db;
useTestDatabase(
  ['locations', 'staff', 'services', 'location_staff', 'location_services', 'staff_services', 'clients'],
  (ready) => {
    database = ready;
    db = ready.db;
  },
);

const scopeOf = async (scope: string): Promise<ScopeFreshness | undefined> =>
  (await readFreshness(db)).find((row) => row.scope === scope);

/** A table's counts as a run of this version writes them. */
const counts = (deleted: number, held: number) => ({
  inserted: 0,
  updated: 0,
  unchanged: 3,
  revived: 0,
  deleted,
  inactive: 0,
  skipped: 0,
  held,
});

async function insertRun(run: {
  id: number;
  scope: string;
  status: string;
  hoursAgo: number;
  stats?: Record<string, unknown>;
  error?: string;
}): Promise<void> {
  const finished = run.status === 'running' ? null : `now() - interval '${run.hoursAgo} hours'`;
  await db.$executeRawUnsafe(
    `INSERT INTO sync_runs (id, scope, trigger, status, started_at, finished_at, stats, error)
     VALUES ($1, $2, 'schedule', $3, now() - interval '${run.hoursAgo} hours' - interval '5 minutes',
             ${finished ?? 'NULL'}, $4::jsonb, $5)`,
    run.id,
    run.scope,
    run.status,
    JSON.stringify(run.stats ?? {}),
    run.error ?? null,
  );
}

describe('mirror_freshness_view on hand-made runs', () => {
  beforeAll(async () => {
    await db.$executeRawUnsafe('TRUNCATE sync_runs, backfill_chunks');
  });

  it('has no row before any run', async () => {
    expect(await readFreshness(db)).toEqual([]);
  });

  it('full: the last success and its age, the failures since, the last run’s tombstones and guard', async () => {
    const window = { startDate: '2026-01-01', endDate: '2026-01-14' };
    await insertRun({
      id: 1,
      scope: 'full',
      status: 'succeeded',
      hoursAgo: 5,
      stats: { staff: counts(2, 0) },
    });
    await insertRun({ id: 2, scope: 'full', status: 'failed', hoursAgo: 4, error: 'keys refused' });
    await insertRun({
      id: 3,
      scope: 'full',
      status: 'partial',
      hoursAgo: 3,
      stats: {
        staff: counts(1, 0),
        location_staff: counts(2, 7),
        appointment_range: window,
        appointment_chunks: [
          { startDate: '2026-01-01', endDate: '2026-01-07', complete: true },
          { startDate: '2026-01-08', endDate: '2026-01-14', complete: true },
        ],
      },
      error: 'location_staff: would delete 7 of 9 <b>active</b> links',
    });
    await insertRun({ id: 4, scope: 'full', status: 'running', hoursAgo: 0 });

    const full = await scopeOf('full');
    expect(full).toMatchObject({
      account: 'default',
      lastCompleteRunId: 1,
      lastRun: {
        id: 3,
        status: 'partial',
        reasons: 'location_staff: would delete 7 of 9 <b>active</b> links',
      },
      running: { runId: 4 },
      unsuccessfulInARow: 2,
      tombstonedRows: 3,
      guardHeldRows: 7,
      appointmentRanges: [{ ...window, runId: 3, complete: true }],
      appointmentsComplete: true,
    });
    expect(full?.ageSeconds).toBeGreaterThanOrEqual(5 * 3600 - 5);
    expect(full?.ageSeconds).toBeLessThan(5 * 3600 + 60);
  });

  it('full: a window is incomplete when a chunk is missing or incomplete, at the edge or inside', async () => {
    const window = { startDate: '2026-02-01', endDate: '2026-02-21' };
    const chunk = (startDate: string, endDate: string, complete = true) => ({ startDate, endDate, complete });
    const cases = [
      [[chunk('2026-02-01', '2026-02-07'), chunk('2026-02-15', '2026-02-21')], false],
      [[chunk('2026-02-01', '2026-02-07'), chunk('2026-02-08', '2026-02-14')], false],
      [
        [
          chunk('2026-02-01', '2026-02-07'),
          chunk('2026-02-08', '2026-02-14', false),
          chunk('2026-02-15', '2026-02-21'),
        ],
        false,
      ],
      [
        [
          chunk('2026-02-01', '2026-02-07'),
          chunk('2026-02-08', '2026-02-14'),
          chunk('2026-02-15', '2026-02-21'),
        ],
        true,
      ],
    ] as const;
    let id = 10;
    for (const [chunks, complete] of cases) {
      id += 1;
      await insertRun({
        id,
        scope: 'full',
        status: 'partial',
        hoursAgo: 1 - id / 100,
        stats: { appointment_range: window, appointment_chunks: chunks },
      });
      expect(await scopeOf('full'), JSON.stringify(chunks)).toMatchObject({
        lastRun: { id },
        appointmentsComplete: complete,
        appointmentRanges: [{ ...window, runId: id, complete }],
      });
    }
  });

  it('full: a run that recorded no range (older, or stopped) read the window only if it succeeded; its guard is unknown', async () => {
    await insertRun({ id: 20, scope: 'full', status: 'abandoned', hoursAgo: 0.5 });
    expect(await scopeOf('full')).toMatchObject({
      lastRun: { id: 20, status: 'abandoned' },
      appointmentsComplete: false,
      appointmentRanges: null,
      guardHeldRows: null,
      tombstonedRows: 0,
    });
    await insertRun({
      id: 21,
      scope: 'full',
      status: 'succeeded',
      hoursAgo: 0.4,
      stats: { staff: { deleted: 4 } },
    });
    expect(await scopeOf('full')).toMatchObject({
      lastCompleteRunId: 21,
      unsuccessfulInARow: 0,
      appointmentsComplete: true,
      guardHeldRows: null,
      tombstonedRows: 4,
    });
  });

  it('backfill: each range asked for, complete as the chunks backfilled so far cover it, overlaps counted once', async () => {
    await insertRun({
      id: 30,
      scope: 'backfill',
      status: 'partial',
      hoursAgo: 2,
      stats: { appointment_range: { startDate: '2025-01-01', endDate: '2025-01-14' } },
      error: 'appointments from 2025-01-08: 500',
    });
    await insertRun({
      id: 31,
      scope: 'backfill',
      status: 'succeeded',
      hoursAgo: 1,
      stats: { appointment_range: { startDate: '2025-03-05', endDate: '2025-03-07' } },
    });
    // 2025-01-01..07 whole, and 2025-01-05..07 clipped from another range: 7 dates of 14, not 10.
    await db.$executeRawUnsafe(`
      INSERT INTO backfill_chunks (start_date, end_date, run_id, pages, records) VALUES
        ('2025-01-01', '2025-01-07', 30, 1, 5), ('2025-01-05', '2025-01-07', 30, 1, 2),
        ('2025-03-05', '2025-03-07', 31, 1, 1)`);
    const backfill = await scopeOf('backfill');
    expect(backfill).toMatchObject({
      lastCompleteRunId: 31,
      unsuccessfulInARow: 0,
      appointmentsComplete: false,
      appointmentRanges: [
        { startDate: '2025-01-01', endDate: '2025-01-14', runId: 30, complete: false },
        { startDate: '2025-03-05', endDate: '2025-03-07', runId: 31, complete: true },
      ],
    });
    // The missing chunk read later (by a backfill of a wider range) completes the first range too.
    await db.$executeRawUnsafe(`
      INSERT INTO backfill_chunks (start_date, end_date, run_id, pages, records) VALUES
        ('2025-01-08', '2025-01-14', 31, 1, 5)`);
    expect(await scopeOf('backfill')).toMatchObject({ appointmentsComplete: true });
  });

  it('location: no appointments; a scope never complete is as old as its first run', async () => {
    await insertRun({ id: 40, scope: 'location', status: 'failed', hoursAgo: 10, error: 'boom' });
    await insertRun({
      id: 41,
      scope: 'location',
      status: 'partial',
      hoursAgo: 9,
      stats: { staff: counts(0, 0) },
    });
    const location = await scopeOf('location');
    expect(location).toMatchObject({
      lastCompleteRunId: null,
      lastCompleteAt: null,
      unsuccessfulInARow: 2,
      guardHeldRows: 0,
      appointmentRanges: null,
      appointmentsComplete: null,
    });
    // Its first run started 10 hours and 5 minutes ago.
    expect(location?.ageSeconds).toBeGreaterThanOrEqual(10 * 3600 + 300 - 5);
    expect(location?.ageSeconds).toBeLessThan(10 * 3600 + 300 + 60);
  });
});

describe('the SQL of docs/operating.md', () => {
  it('runs against the view as written', async () => {
    const docs = readFileSync(new URL('../../docs/operating.md', import.meta.url), 'utf8');
    const examples = [...docs.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    expect(examples.length).toBeGreaterThan(0);
    for (const sql of examples) {
      const rows = await db.$queryRawUnsafe<Array<Record<string, unknown>>>(sql);
      expect(rows.length, sql).toBeGreaterThan(0);
    }
  });
});

describe('mirror_freshness_view on runs a sync recorded', () => {
  const TODAY = today();
  const env = {
    APPOINTMENTS_PAST_DAYS: '6',
    APPOINTMENTS_FUTURE_DAYS: '6',
    APPOINTMENTS_CHUNK_DAYS: '4',
    TIMETAP_RETRY_BASE_MS: '20',
  };
  let sim: Simulator;
  beforeAll(async () => {
    await db.$executeRawUnsafe('TRUNCATE sync_runs, backfill_chunks, appointments');
    sim = await startSimulator({ seed: 5, locations: 4, today: TODAY, appointments: { perStaffPerDay: 1 } });
  });
  afterAll(async () => {
    await sim?.close();
  });
  const sync = () => runSync(createTestSyncDeps(sim, db, { env }), { scope: 'full' });

  it('a complete run, a chunk that failed, a guard that held, each as the view says', async () => {
    const first = await sync();
    expect(first.status, first.reasons.join('\n')).toBe('succeeded');
    const window = { startDate: addDays(TODAY, -6), endDate: addDays(TODAY, 6) };
    expect(await scopeOf('full')).toMatchObject({
      lastCompleteRunId: first.runId,
      unsuccessfulInARow: 0,
      guardHeldRows: 0,
      appointmentRanges: [{ ...window, runId: first.runId, complete: true }],
      appointmentsComplete: true,
    });

    // One chunk of the window answers 400 (not retried): the run is partial, its window incomplete.
    const [, second] = (
      await database.db.$queryRaw<Array<{ c: unknown }>>`
      SELECT jsonb_array_elements(stats->'appointment_chunks') AS c FROM sync_runs WHERE id = ${first.runId}`
    ).map((row) => row.c as { startDate: string });
    const stop = sim.inject({
      path: /^\/appointmentList\//,
      query: { startDate: second?.startDate ?? '' },
      fault: { type: 'status', status: 400 },
    });
    const failedChunk = await sync();
    stop();
    expect(failedChunk.status).toBe('partial');
    expect(await scopeOf('full')).toMatchObject({
      lastCompleteRunId: first.runId,
      lastRun: { id: failedChunk.runId, status: 'partial' },
      unsuccessfulInARow: 1,
      guardHeldRows: 0,
      appointmentsComplete: false,
    });

    // Most staff gone at once: the guard holds them, the run says so in its counts.
    const staffIds = [...sim.data.staff.keys()];
    const gone = staffIds.slice(0, Math.ceil(staffIds.length * 0.7));
    for (const id of gone) sim.data.remove('staff', id);
    const held = await sync();
    expect(held.status).toBe('partial');
    expect(held.stats.staff.held).toBe(gone.length);
    const row = await scopeOf('full');
    expect(row).toMatchObject({
      lastRun: { id: held.runId, status: 'partial' },
      unsuccessfulInARow: 2,
      appointmentsComplete: true,
    });
    expect(row?.guardHeldRows).toBeGreaterThanOrEqual(gone.length);
    expect(row?.lastRun?.reasons).toMatch(/SYNC_ALLOW_MASS_DELETE/);
  });
});
