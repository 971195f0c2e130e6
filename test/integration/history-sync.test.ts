/**
 * History mode through the real paths, against the simulator over HTTP: a full sync, a sync after
 * TimeTap rescheduled, cancelled, deleted and restored appointments, a webhook's read racing a
 * sync, a late older read, and the switch from full to pseudonymous client data.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { addDays, today } from '../../src/dates.js';
import { MIRROR_TABLES } from '../../src/db/index.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { type Simulator, startSimulator } from '../../src/simulator/index.js';
import { refreshAppointment } from '../../src/sync/appointment-event.js';
import { storeAppointments } from '../../src/sync/appointment-store.js';
import { runSync } from '../../src/sync/run-sync.js';
import { emptyStats } from '../../src/sync/stats.js';
import { createTestSyncDeps } from '../helpers/sync.js';
import { useTestDatabase } from '../helpers/use-database.js';

let sim: Simulator | undefined;
let db: PrismaClient;
const TODAY = today();
const WINDOW = { APPOINTMENTS_PAST_DAYS: '6', APPOINTMENTS_FUTURE_DAYS: '6', APPOINTMENTS_CHUNK_DAYS: '4' };
const window = { from: addDays(TODAY, -6), to: addDays(TODAY, 6) };

useTestDatabase([...MIRROR_TABLES, 'appointment_history', 'sync_runs'], (database) => {
  db = database.db;
});
beforeEach(async () => {
  await sim?.close();
  sim = await startSimulator({ seed: 23, locations: 2, today: TODAY, appointments: { perStaffPerDay: 1 } });
});
afterAll(() => sim?.close());

/** The simulator of the running test. */
function simulator(): Simulator {
  if (!sim) throw new Error('the simulator starts before each test');
  return sim;
}

const sync = (env: Record<string, string> = {}) =>
  runSync(createTestSyncDeps(simulator(), db, { env: { ...WINDOW, ...env } }), { scope: 'full' });

interface Version {
  valid_from: Date;
  valid_to: Date | null;
  status: string | null;
  start_date: string | null;
  deleted: boolean;
  content_hash: string;
}

async function history(id: number): Promise<Version[]> {
  return db.$queryRaw<Version[]>`
    SELECT valid_from, valid_to, status, start_date, deleted, content_hash FROM appointment_history
    WHERE appointment_id = ${id}::bigint ORDER BY valid_from`;
}

/** Every appointment's versions follow each other without gap or overlap, and the last is the row. */
async function expectConsistentHistory(): Promise<void> {
  const broken = await db.$queryRaw<Array<{ id: bigint; problem: string }>>`
    SELECT appointment_id AS id, 'gap or overlap' AS problem FROM (
      SELECT appointment_id, valid_to, lead(valid_from) OVER (PARTITION BY appointment_id ORDER BY valid_from) AS next
      FROM appointment_history) v
    WHERE valid_to IS DISTINCT FROM next
    UNION ALL
    SELECT a.id, 'current version differs from the row' FROM appointments a
    LEFT JOIN appointment_history h ON h.appointment_id = a.id AND h.valid_to IS NULL
    WHERE h.appointment_id IS NULL OR h.content_hash <> a.content_hash
      OR h.deleted <> (a.deleted_at IS NOT NULL) OR h.valid_from <> a.read_at
      AND NOT (a.deleted_at IS NOT NULL AND h.deleted)`;
  expect(broken).toEqual([]);
}

async function versionCount(): Promise<number> {
  const [row] = await db.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM appointment_history`;
  return row?.n ?? 0;
}

describe('history mode through a full sync', () => {
  it('keeps one version per appointment on the first load, and adds none on an unchanged sync', async () => {
    const first = await sync();
    expect(first.status, first.reasons.join('\n')).toBe('succeeded');
    const [counts] = await db.$queryRaw<Array<{ appointments: number; versions: number; open: number }>>`
      SELECT (SELECT count(*)::int FROM appointments) AS appointments,
        (SELECT count(*)::int FROM appointment_history) AS versions,
        (SELECT count(*)::int FROM appointment_history WHERE valid_to IS NULL) AS open`;
    expect(counts?.appointments).toBeGreaterThan(10);
    expect(counts).toEqual({
      appointments: counts?.appointments,
      versions: counts?.appointments,
      open: counts?.appointments,
    });
    await expectConsistentHistory();
    expect((await sync()).status).toBe('succeeded');
    expect(await versionCount()).toBe(counts?.versions);
  });

  it('records a reschedule, a cancellation, a deletion and a restoration as versions', async () => {
    await sync();
    const [moved, cancelled, deleted] = simulator()
      .data.findAppointments(window)
      .filter((a) => a.status !== 'CANCELLED')
      .map((a) => a.calendarId) as [number, number, number];
    const original = simulator().data.appointments.get(deleted);
    const movedFrom = simulator().data.appointments.get(moved)?.startDate;
    if (!original || movedFrom === undefined) throw new Error('the simulator should hold them');
    const newDate = addDays(TODAY, movedFrom === addDays(TODAY, 3) ? 4 : 3);
    simulator().data.rescheduleAppointment(moved, newDate);
    simulator().data.cancelAppointment(cancelled);
    simulator().data.deleteAppointment(deleted);
    const second = await sync();
    expect(second.status, second.reasons.join('\n')).toBe('succeeded');
    expect((await history(moved)).map((v) => [v.start_date, v.valid_to === null])).toEqual([
      [movedFrom, false],
      [newDate, true],
    ]);
    expect((await history(cancelled)).map((v) => [v.status, v.valid_to === null])).toEqual([
      [expect.not.stringMatching(/^CANCELLED$/), false],
      ['CANCELLED', true],
    ]);
    expect((await history(deleted)).map((v) => v.deleted)).toEqual([false, true]);
    const changes = await db.$queryRaw<Array<{ id: bigint; column_name: string; to_value: string }>>`
      SELECT appointment_id AS id, column_name, to_value FROM appointment_changes_view
      WHERE column_name IN ('start_date', 'status', 'deleted') ORDER BY appointment_id, column_name`;
    expect(changes).toEqual(
      expect.arrayContaining([
        { id: BigInt(moved), column_name: 'start_date', to_value: newDate },
        { id: BigInt(cancelled), column_name: 'status', to_value: 'CANCELLED' },
        { id: BigInt(deleted), column_name: 'deleted', to_value: 'true' },
      ]),
    );

    // TimeTap shows the deleted appointment again: a new version, not deleted.
    simulator().data.bookAppointment({ ...original });
    expect((await sync()).status).toBe('succeeded');
    expect((await history(deleted)).map((v) => [v.deleted, v.valid_to === null])).toEqual([
      [false, false],
      [true, false],
      [false, true],
    ]);
    await expectConsistentHistory();
  });

  it('a webhook read racing a sync, and a late older read, leave one ordered history', async () => {
    await sync();
    const deps = { ...createTestSyncDeps(simulator(), db, { env: WINDOW }), pageSize: 100 };
    const [id] = simulator()
      .data.findAppointments(window)
      .filter((a) => a.status !== 'CANCELLED')
      .map((a) => a.calendarId) as [number];
    const before = simulator().data.appointments.get(id);
    if (!before) throw new Error('the simulator should hold the appointment');
    // A page read now, before TimeTap changes the appointment ...
    const page = await deps.api.appointmentPage(
      { startDate: before.startDate, endDate: before.startDate },
      1,
      100,
    );
    const pageRead = new Date(Date.now() - 5_000);
    simulator().data.cancelAppointment(id);
    // ... a sync and the webhook's own read run at once ...
    const [summary, refreshed] = await Promise.all([sync(), refreshAppointment(deps, id)]);
    expect(summary.status, summary.reasons.join('\n')).toBe('succeeded');
    expect(refreshed.outcome).toBe('stored');
    const settled = await history(id);
    expect(settled.map((v) => [v.status, v.valid_to === null])).toEqual([
      [before.status, false],
      ['CANCELLED', true],
    ]);
    // ... and the old page arrives last: no version behind the current one.
    const stale = page.items.filter((a) => a.id === id);
    expect(stale.map((a) => a.status)).toEqual([before.status]);
    await storeAppointments(deps, stale, pageRead, emptyStats());
    expect(await history(id)).toEqual(settled);
    await expectConsistentHistory();
  });
});

describe('history mode and the client-data policy', () => {
  it('full -> pseudonymous with history present leaves no personal data in appointment_history', async () => {
    await sync();
    simulator().data.cancelAppointment(simulator().data.findAppointments(window)[0]?.calendarId ?? 0);
    await sync();
    expect(await versionCount()).toBeGreaterThan(0);
    const summary = await sync({ MIRROR_CLIENT_DATA: 'pseudonymous' });
    expect(summary.status, summary.reasons.join('\n')).toBe('succeeded');
    // Ids and typed columns only: no jsonb, no name, no contact.
    const columns = await db.$queryRaw<Array<{ column_name: string; data_type: string }>>`
      SELECT column_name, data_type FROM information_schema.columns
      WHERE table_name = 'appointment_history' ORDER BY ordinal_position`;
    expect(columns.map((c) => c.column_name)).toEqual([
      'appointment_id',
      'valid_from',
      'valid_to',
      'status',
      'sub_status',
      'start_date',
      'start_time',
      'end_time',
      'start_at',
      'location_id',
      'staff_id',
      'service_id',
      'client_id',
      'content_hash',
      'deleted',
      'account',
    ]);
    const personal = [...simulator().data.clients.values()].flatMap((c) =>
      [c.emailAddress, c.cellPhone, c.firstName, c.lastName].filter(
        (v): v is string => typeof v === 'string' && v.length > 3,
      ),
    );
    expect(personal.length).toBeGreaterThan(10);
    const rows = await db.$queryRaw<Array<{ row: string }>>`
      SELECT row_to_json(h)::text AS row FROM appointment_history h`;
    const stored = rows.map((r) => r.row).join('\n');
    for (const value of personal) expect(stored).not.toContain(value);
    // The reduction rewrote the rows' raw, not what TimeTap said: no version was added for it.
    await expectConsistentHistory();
  });
});
