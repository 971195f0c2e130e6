/**
 * appointment_history as the write path leaves it (the triggers of its migration): a version per
 * content the mirror saw, valid from the read that produced it, closed by the next one; nothing
 * for an unchanged read or an older one; a tombstone and a revival are versions; HISTORY_MODE=off
 * writes none.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ACCOUNT } from '../../src/account.js';
import { type AppointmentRow, tombstoneAppointments, upsertAppointments } from '../../src/db/appointments.js';
import { createDatabase, type Db } from '../../src/db/database.js';
import { readChangeReport } from '../../src/report/change-report.js';
import { appointmentRow, at, readOptions } from '../helpers/appointment-rows.js';
import { useTestDatabase } from '../helpers/use-database.js';

let db: Db;
let url: string;

useTestDatabase(['appointments', 'appointment_history', 'locations'], (database) => {
  db = database.db;
  url = database.url;
});

interface Version {
  appointment_id: number;
  valid_from: Date;
  valid_to: Date | null;
  status: string | null;
  start_date: string | null;
  start_time: number | null;
  deleted: boolean;
}

async function versions(id?: number): Promise<Version[]> {
  return db.$queryRaw<Version[]>`
    SELECT appointment_id::int AS appointment_id, valid_from, valid_to, status, start_date, start_time, deleted
    FROM appointment_history WHERE ${id ?? null}::bigint IS NULL OR appointment_id = ${id ?? null}::bigint
    ORDER BY appointment_id, valid_from`;
}

describe('appointment_history', () => {
  it('adds no version when only start_at moves, however many rows: a time zone set after a backfill', async () => {
    // A location whose time zone arrives after a year of its appointments (nested copies carry
    // none) recomputes start_at for every one of them in one statement. No content changed, so no
    // version; and it must take no longer than such an update takes (a statement trigger joining
    // its transition tables once ran past a 60 s statement timeout here).
    const count = 15_000;
    const rows = Array.from({ length: count }, (_, i) => appointmentRow(i + 1));
    await upsertAppointments(db, rows, readOptions(at('10:00:00')));
    await db.$executeRaw`INSERT INTO locations (id, raw, content_hash) VALUES (1, '{}', 'h')`;
    // 10 s: some 30 times what it takes; the statement trigger needed more than 60.
    await db.$transaction(
      [
        db.$executeRaw`SET LOCAL statement_timeout = '10s'`,
        db.$executeRaw`UPDATE locations SET time_zone = 'America/New_York' WHERE id = 1`,
      ],
      { timeout: 30_000 },
    );
    const [moved] = await db.$queryRaw<Array<{ n: number }>>`
      SELECT count(*)::int AS n FROM appointments WHERE start_at IS NOT NULL`;
    expect(moved?.n).toBe(count);
    const [history] = await db.$queryRaw<Array<{ n: number; open: number }>>`
      SELECT count(*)::int AS n, count(*) FILTER (WHERE valid_to IS NULL)::int AS open FROM appointment_history`;
    expect(history).toEqual({ n: count, open: count });
  }, 60_000);

  it('keeps one version per appointment on the first load, and none for an unchanged read', async () => {
    await upsertAppointments(db, [appointmentRow(1), appointmentRow(2)], readOptions(at('10:00:00')));
    await upsertAppointments(db, [appointmentRow(1), appointmentRow(2)], readOptions(at('11:00:00')));
    expect(await versions()).toEqual([
      expect.objectContaining({
        appointment_id: 1,
        valid_from: at('10:00:00'),
        valid_to: null,
        deleted: false,
      }),
      expect.objectContaining({
        appointment_id: 2,
        valid_from: at('10:00:00'),
        valid_to: null,
        deleted: false,
      }),
    ]);
  });

  it('closes a version at the read of the next one: a reschedule, then a cancellation', async () => {
    await upsertAppointments(db, [appointmentRow(1)], readOptions(at('10:00:00')));
    await upsertAppointments(
      db,
      [appointmentRow(1, { startDate: '2026-02-03', endDate: '2026-02-03', startTime: 1000 })],
      readOptions(at('11:00:00')),
    );
    await upsertAppointments(
      db,
      [
        appointmentRow(1, {
          startDate: '2026-02-03',
          endDate: '2026-02-03',
          startTime: 1000,
          status: 'CANCELLED',
        }),
      ],
      readOptions(at('12:00:00')),
    );
    expect(await versions(1)).toEqual([
      expect.objectContaining({
        valid_from: at('10:00:00'),
        valid_to: at('11:00:00'),
        start_date: '2026-02-02',
      }),
      expect.objectContaining({ valid_from: at('11:00:00'), valid_to: at('12:00:00'), start_time: 1000 }),
      expect.objectContaining({ valid_from: at('12:00:00'), valid_to: null, status: 'CANCELLED' }),
    ]);
    // The as-of query of the README: one version at any time after the first read.
    const asOf = await db.$queryRaw<Array<{ status: string; start_time: number }>>`
      SELECT status, start_time FROM appointment_history
      WHERE appointment_id = 1 AND valid_from <= ${at('11:30:00')} AND (valid_to > ${at('11:30:00')} OR valid_to IS NULL)`;
    expect(asOf).toEqual([{ status: 'OPEN', start_time: 1000 }]);
  });

  it('records a tombstone and a revival as versions', async () => {
    await upsertAppointments(db, [appointmentRow(1)], readOptions(at('10:00:00')));
    expect(await tombstoneAppointments(db, [1], { account: DEFAULT_ACCOUNT, readAt: at('11:00:00') })).toBe(
      1,
    );
    await upsertAppointments(db, [appointmentRow(1)], readOptions(at('12:00:00')));
    expect(await versions(1)).toEqual([
      expect.objectContaining({ valid_from: at('10:00:00'), valid_to: at('11:00:00'), deleted: false }),
      expect.objectContaining({
        valid_from: at('11:00:00'),
        valid_to: at('12:00:00'),
        deleted: true,
        status: 'OPEN',
      }),
      expect.objectContaining({ valid_from: at('12:00:00'), valid_to: null, deleted: false }),
    ]);
  });

  it('dates a tombstone without a read time of its own when it is written, after the current version', async () => {
    await upsertAppointments(db, [appointmentRow(1)], readOptions(at('10:00:00')));
    const before = new Date();
    await tombstoneAppointments(db, [1], { account: DEFAULT_ACCOUNT });
    const [first, tombstone, ...rest] = await versions(1);
    expect(rest).toEqual([]);
    expect(tombstone?.deleted).toBe(true);
    expect(tombstone?.valid_from.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
    expect(first?.valid_to).toEqual(tombstone?.valid_from);
  });

  it('never inserts a version behind a newer one: a late older read adds nothing', async () => {
    // A webhook's fetch at 10:00:05 cancelled it ...
    await upsertAppointments(db, [appointmentRow(1, { status: 'CANCELLED' })], readOptions(at('10:00:05')));
    // ... and a report page read at 10:00:00 arrives afterwards, still showing it open.
    await upsertAppointments(db, [appointmentRow(1)], readOptions(at('10:00:00')));
    // A late tombstone read before the current version is refused too.
    expect(await tombstoneAppointments(db, [1], { account: DEFAULT_ACCOUNT, readAt: at('10:00:01') })).toBe(
      0,
    );
    expect(await versions(1)).toEqual([
      expect.objectContaining({ valid_from: at('10:00:05'), valid_to: null, status: 'CANCELLED' }),
    ]);
  });

  it('keeps the version order whichever of two racing writers commits first', async () => {
    await upsertAppointments(db, [appointmentRow(1)], readOptions(at('10:00:00')));
    // A sync's page (read at 10:01) and a webhook's fetch (read at 10:02) write at once.
    await Promise.all([
      upsertAppointments(db, [appointmentRow(1, { status: 'COMPLETED' })], readOptions(at('10:01:00'))),
      upsertAppointments(db, [appointmentRow(1, { status: 'NO_SHOW' })], readOptions(at('10:02:00'))),
    ]);
    const history = await versions(1);
    const current = history.filter((v) => v.valid_to === null);
    expect(current).toEqual([expect.objectContaining({ valid_from: at('10:02:00'), status: 'NO_SHOW' })]);
    // Each version ends where the next begins: no overlap, no gap.
    for (let i = 1; i < history.length; i += 1) {
      expect(history[i - 1]?.valid_to).toEqual(history[i]?.valid_from);
    }
    const stored = await db.appointment.findUniqueOrThrow({
      where: { account_id: { account: DEFAULT_ACCOUNT, id: 1n } },
    });
    expect(stored.status).toBe('NO_SHOW');
  });

  it('writes no version under HISTORY_MODE=off', async () => {
    const off = createDatabase(
      { url, poolSize: 2, connectTimeoutMs: 10_000, statementTimeoutMs: 30_000, historyMode: 'off' },
      pino({ level: 'silent' }),
    );
    try {
      await upsertAppointments(off.prisma, [appointmentRow(1)], readOptions(at('10:00:00')));
      await upsertAppointments(
        off.prisma,
        [appointmentRow(1, { status: 'CANCELLED' })],
        readOptions(at('11:00:00')),
      );
      await tombstoneAppointments(off.prisma, [1], { account: DEFAULT_ACCOUNT, readAt: at('12:00:00') });
      const stored = await off.prisma.appointment.findUniqueOrThrow({
        where: { account_id: { account: DEFAULT_ACCOUNT, id: 1n } },
      });
      expect(stored.deletedAt).not.toBeNull();
      expect(await versions()).toEqual([]);
    } finally {
      await off.close();
    }
  });

  it('writes history for a batch large enough to go through the staging table', async () => {
    const many = Array.from({ length: 1200 }, (_, i) => appointmentRow(i + 1));
    await upsertAppointments(db, many, readOptions(at('10:00:00')));
    const changed = many.map((a) => (a.id % 10 === 0 ? appointmentRow(a.id, { status: 'CANCELLED' }) : a));
    await upsertAppointments(db, changed, readOptions(at('11:00:00')));
    const counts = await db.$queryRaw<Array<{ versions: number; open: number; cancelled: number }>>`
      SELECT count(*)::int AS versions, count(*) FILTER (WHERE valid_to IS NULL)::int AS open,
        count(*) FILTER (WHERE status = 'CANCELLED')::int AS cancelled FROM appointment_history`;
    expect(counts).toEqual([{ versions: 1320, open: 1200, cancelled: 120 }]);
  });
});

describe('the change views and the report', () => {
  const utcLocation = () =>
    db.$executeRaw`INSERT INTO locations (id, raw, content_hash, time_zone) VALUES (1, '{}', 'l1', 'Etc/UTC')`;

  it('appointment_changes_view lists each changed column; the lead time view each cancellation', async () => {
    await utcLocation();
    await upsertAppointments(db, [appointmentRow(1)], readOptions(at('10:00:00')));
    await upsertAppointments(db, [appointmentRow(1, { startTime: 1000 })], readOptions(at('11:00:00')));
    await upsertAppointments(
      db,
      [appointmentRow(1, { startTime: 1000, status: 'CANCELLED' })],
      readOptions(at('12:00:00')),
    );
    // Seen cancelled from its first read: when it was cancelled is unknown, so no lead time.
    await upsertAppointments(db, [appointmentRow(2, { status: 'CANCELLED' })], readOptions(at('12:00:00')));
    const changes = await db.$queryRaw<
      Array<{
        appointment_id: bigint;
        column_name: string;
        from_value: string;
        to_value: string;
        changed_at: Date;
        account: string;
      }>
    >`SELECT * FROM appointment_changes_view ORDER BY changed_at, column_name`;
    expect(changes).toEqual([
      {
        appointment_id: 1n,
        column_name: 'start_at',
        from_value: '2026-02-02 09:00:00+00',
        to_value: '2026-02-02 10:00:00+00',
        changed_at: at('11:00:00'),
        account: DEFAULT_ACCOUNT,
      },
      {
        appointment_id: 1n,
        column_name: 'start_time',
        from_value: '900',
        to_value: '1000',
        changed_at: at('11:00:00'),
        account: DEFAULT_ACCOUNT,
      },
      {
        appointment_id: 1n,
        column_name: 'status',
        from_value: 'OPEN',
        to_value: 'CANCELLED',
        changed_at: at('12:00:00'),
        account: DEFAULT_ACCOUNT,
      },
    ]);
    const leads = await db.$queryRaw<Array<{ appointment_id: bigint; lead_time_hours: string }>>`
      SELECT appointment_id, lead_time_hours::text FROM cancellation_lead_time_view`;
    // From 2026-01-10 12:00 to 2026-02-02 10:00 UTC: 22 days and 22 hours.
    expect(leads).toEqual([{ appointment_id: 1n, lead_time_hours: '550.00' }]);
  });

  it('the report counts the last 30 days: reschedules, cancellations, the median lead time', async () => {
    await utcLocation();
    const now = Date.now();
    const ago = (days: number) => new Date(now - days * 86_400_000);
    const day = (offset: number) => new Date(now + offset * 86_400_000).toISOString().slice(0, 10);
    const on = (id: number, date: string, extra: Partial<AppointmentRow> = {}) =>
      appointmentRow(id, { startDate: date, endDate: date, ...extra });
    // Read 40 days ago, rescheduled 35 days ago: outside the period.
    await upsertAppointments(db, [on(1, day(5)), on(2, day(5)), on(3, day(3))], readOptions(ago(40)));
    await upsertAppointments(db, [on(1, day(6))], readOptions(ago(35)));
    // Within it: two reschedules (one of date and time at once: one reschedule), two cancellations.
    await upsertAppointments(db, [on(1, day(7), { startTime: 1000 }), on(2, day(4))], readOptions(ago(3)));
    await upsertAppointments(
      db,
      [on(2, day(4), { status: 'CANCELLED' }), on(3, day(3), { status: 'CANCELLED' })],
      readOptions(ago(2)),
    );
    const report = await readChangeReport(db, DEFAULT_ACCOUNT);
    expect(report).toMatchObject({ reschedules: 2, cancellations: 2, from: day(-30) });
    const leads = await db.$queryRaw<Array<{ hours: number }>>`
      SELECT lead_time_hours::float8 AS hours FROM cancellation_lead_time_view ORDER BY 1`;
    // Starts 3 and 4 days ahead at 09:00 UTC, cancelled 2 days ago: between 4 and 7 days each.
    expect(leads).toHaveLength(2);
    for (const { hours } of leads) expect(hours / 24).toSatisfy((d: number) => d > 4 && d < 7);
    expect(report.medianCancellationLeadHours).toBeCloseTo(
      ((leads[0]?.hours ?? 0) + (leads[1]?.hours ?? 0)) / 2,
      2,
    );
  });
});
