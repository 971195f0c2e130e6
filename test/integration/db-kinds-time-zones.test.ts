/**
 * Kinds and time zones in the mirror: `locations.time_zone` holds only zone names Postgres knows,
 * `appointments.start_at` is the local start read in its location's zone (set when the zone comes,
 * recomputed when it changes, without touching the appointment's content), the reporting views
 * count client bookings only, and the migration gives the rows mirrored before it the same kinds,
 * zones and valid typed values as the code gives new ones.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_ACCOUNT } from '../../src/account.js';
import { upsertAppointments } from '../../src/db/appointments.js';
import type { Db } from '../../src/db/database.js';
import { upsertLocations } from '../../src/db/entities.js';
import { defaultMigrationsDir, migrate, readMigrations } from '../../src/db/migrate.js';
import { readAppointmentReport } from '../../src/report/appointment-report.js';
import { appointmentKind } from '../../src/timetap/appointment-kind.js';
import { parseAppointment } from '../../src/timetap/appointment-schemas.js';
import { parseLocation } from '../../src/timetap/schemas.js';
import { createEmptyDatabase } from '../helpers/database.js';
import { useTestDatabase } from '../helpers/use-database.js';

let db: Db;
useTestDatabase(['locations', 'appointments'], (database) => {
  db = database.db;
});

const options = {
  account: DEFAULT_ACCOUNT,
  readAt: new Date('2026-01-10T10:00:00Z'),
  clientData: { mode: 'full', hashKey: 'k' },
} as const;

function appointment(id: number, locationId: number, startDate: string, startTime: number, extra = {}) {
  const parsed = parseAppointment({
    calendarId: id,
    status: 'OPEN',
    startDate,
    endDate: startDate,
    startTime,
    endTime: startTime + 100,
    location: { locationId },
    client: { clientId: 70 },
    ...extra,
  });
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

function location(id: number, zone: Record<string, unknown>) {
  const parsed = parseLocation({ locationId: id, locationName: `L${id}`, ...zone });
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

async function rows() {
  const found = await db.$queryRaw<
    Array<{ id: bigint; start_at: Date | null; kind: string; xmin: string; updated_at: Date }>
  >`SELECT id, start_at, kind, xmin::text, updated_at FROM appointments ORDER BY id`;
  return new Map(found.map((r) => [Number(r.id), r]));
}

describe('time zones and start_at', () => {
  it('reads the local start in the location’s zone, legacy names included; unknown zones give NULL', async () => {
    await upsertLocations(
      db,
      [
        location(1, { timeZone: { timeZoneCode: 'America/New_York' } }),
        location(2, { timeZone: null, timeZoneCode: 'US/Pacific' }),
        location(3, { timeZone: null }),
        // A name this runtime would accept but Postgres does not know: NULL, never a failed write.
        { id: 4, timeZone: 'Atlantis/Lost_City', raw: { locationId: 4 } },
      ],
      { account: DEFAULT_ACCOUNT },
    );
    const zones = await db.$queryRaw<Array<{ id: bigint; time_zone: string | null }>>`
      SELECT id, time_zone FROM locations ORDER BY id`;
    expect(zones.map((z) => z.time_zone)).toEqual(['America/New_York', 'US/Pacific', null, null]);

    await upsertAppointments(
      db,
      [
        appointment(10, 1, '2026-07-01', 900),
        appointment(11, 2, '2026-01-15', 900),
        appointment(12, 3, '2026-01-15', 900),
        appointment(13, 4, '2026-01-15', 900),
      ],
      options,
    );
    const stored = await rows();
    expect(stored.get(10)?.start_at?.toISOString()).toBe('2026-07-01T13:00:00.000Z');
    expect(stored.get(11)?.start_at?.toISOString()).toBe('2026-01-15T17:00:00.000Z');
    expect(stored.get(12)?.start_at).toBeNull();
    expect(stored.get(13)?.start_at).toBeNull();
  });

  it('fills start_at when the zone comes later, and follows a zone that changes, without rewriting the content', async () => {
    await upsertAppointments(db, [appointment(20, 5, '2026-03-02', 1030)], options);
    expect((await rows()).get(20)?.start_at).toBeNull();
    await upsertLocations(db, [location(5, { timeZone: { timeZoneCode: 'Europe/Paris' } })], {
      account: DEFAULT_ACCOUNT,
    });
    const set = (await rows()).get(20);
    expect(set?.start_at?.toISOString()).toBe('2026-03-02T09:30:00.000Z');

    await upsertLocations(db, [location(5, { timeZone: { timeZoneCode: 'Asia/Tokyo' } })], {
      account: DEFAULT_ACCOUNT,
    });
    const moved = (await rows()).get(20);
    expect(moved?.start_at?.toISOString()).toBe('2026-03-02T01:30:00.000Z');
    expect(moved?.updated_at).toEqual(set?.updated_at);

    // Unchanged: writing the same location and appointment again writes no row.
    const before = await db.$queryRaw<Array<{ v: string }>>`
      SELECT string_agg(xmin::text, ',' ORDER BY id) AS v FROM (SELECT id, xmin FROM locations UNION ALL SELECT id, xmin FROM appointments) t`;
    await upsertLocations(db, [location(5, { timeZone: { timeZoneCode: 'Asia/Tokyo' } })], {
      account: DEFAULT_ACCOUNT,
    });
    expect((await upsertAppointments(db, [appointment(20, 5, '2026-03-02', 1030)], options)).unchanged).toBe(
      1,
    );
    const after = await db.$queryRaw<Array<{ v: string }>>`
      SELECT string_agg(xmin::text, ',' ORDER BY id) AS v FROM (SELECT id, xmin FROM locations UNION ALL SELECT id, xmin FROM appointments) t`;
    expect(after).toEqual(before);
  });
});

describe('kinds in the reporting views', () => {
  it('stores the kind and counts client bookings only', async () => {
    await upsertAppointments(
      db,
      [
        appointment(30, 1, '2026-02-02', 900),
        appointment(31, 1, '2026-02-02', 1000, { appointmentType: 'TIME_OFF', client: undefined }),
        appointment(32, 1, '2026-02-02', 1100, { classScheduleId: 4 }),
      ],
      options,
    );
    const stored = await rows();
    expect([30, 31, 32].map((id) => stored.get(id)?.kind)).toEqual(['appointment', 'time_off', 'class']);
    const [daily] = await db.$queryRaw<Array<{ booked: number }>>`
      SELECT sum(booked)::int AS booked FROM appointment_daily_view WHERE start_date = '2026-02-02'`;
    expect(daily?.booked).toBe(1);
    const listed = await db.$queryRaw<Array<{ appointment_id: bigint }>>`
      SELECT appointment_id FROM appointments_view WHERE start_date = '2026-02-02'`;
    expect(listed.map((r) => Number(r.appointment_id))).toEqual([30]);
    // `report` counts what the views count: the client bookings mirrored.
    expect((await readAppointmentReport(db, DEFAULT_ACCOUNT)).mirrored).toBe(1);
  });
});

describe('the migration, for rows mirrored before it', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('gives them the kinds, zones, start_at and valid typed values the code gives new rows', async () => {
    const all = readMigrations(defaultMigrationsDir());
    const mine = all.findIndex((m) => m.name.startsWith('20261220000000_'));
    expect(mine).toBeGreaterThan(0);
    const earlier = mkdtempSync(join(tmpdir(), 'timetap-migrations-'));
    dirs.push(earlier);
    for (const m of all.slice(0, mine))
      cpSync(join(defaultMigrationsDir(), m.name), join(earlier, m.name), { recursive: true });
    cpSync(join(defaultMigrationsDir(), 'migration_lock.toml'), join(earlier, 'migration_lock.toml'));

    const database = await createEmptyDatabase(inject('databaseUrl'));
    const logger = pino({ level: 'silent' });
    const client = new pg.Client({ connectionString: database.url });
    try {
      await migrate({ databaseUrl: database.url, migrationsDir: earlier, logger });
      const raws: Array<Record<string, unknown>> = [
        { calendarId: 1, client: { clientId: 5 }, location: { locationId: 1 } },
        { calendarId: 2, appointmentType: 'TIME_OFF', location: { locationId: 1 } },
        { calendarId: 3, type: 'Group class', client: { clientId: 5 } },
        { calendarId: 4, classScheduleId: 9, client: { clientId: 5 } },
        { calendarId: 5, reason: { reasonId: 2, reasonType: 'PERSONAL' } },
        { calendarId: 6, reason: { reasonId: 2, reasonType: 'CLASS' }, client: { clientId: 5 } },
        { calendarId: 7, isTimeOff: true },
        { calendarId: 8, reason: { reasonId: 2 } },
        { calendarId: 9, type: 'STANDARD', clientId: 5 },
        { calendarId: 10, objectType: 7, appointmentType: 'Booking' },
      ];
      await client.connect();
      await client.query(
        `INSERT INTO locations (id, raw, content_hash) VALUES
           (1, '{"locationId":1,"timeZone":null,"timeZoneCode":"US/Pacific"}', 'h'),
           (2, '{"locationId":2,"timeZone":{"timeZoneCode":"America/Chicago"}}', 'h'),
           (3, '{"locationId":3,"timeZone":{"timeZoneCode":"Nowhere/Atall"}}', 'h')`,
      );
      for (const raw of raws) {
        await client.query(
          `INSERT INTO appointments (id, location_id, start_date, end_date, start_time, end_time, local_start, raw, content_hash, read_at)
           VALUES ($1, 1, '2026-01-15', '2026-02-30', 900, 975, '2026-01-15 09:00', $2, 'h', now())`,
          [raw.calendarId, JSON.stringify(raw)],
        );
      }
      await migrate({ databaseUrl: database.url, logger });

      const kinds = await client.query<{ id: string; kind: string }>(
        'SELECT id, kind FROM appointments ORDER BY id',
      );
      expect(kinds.rows.map((r) => r.kind)).toEqual(raws.map((raw) => appointmentKind(raw)));
      const zones = await client.query<{ time_zone: string | null }>(
        'SELECT time_zone FROM locations ORDER BY id',
      );
      expect(zones.rows.map((r) => r.time_zone)).toEqual(['US/Pacific', 'America/Chicago', null]);
      const [typed] = (
        await client.query<{
          start_at: Date;
          end_date: string | null;
          end_time: number | null;
          start_date: string;
        }>('SELECT start_at, start_date, end_date, end_time FROM appointments WHERE id = 1')
      ).rows;
      expect(typed).toMatchObject({ start_date: '2026-01-15', end_date: null, end_time: null });
      expect(typed?.start_at.toISOString()).toBe('2026-01-15T17:00:00.000Z');
    } finally {
      await client.end().catch(() => undefined);
      await database.drop();
    }
  });
});
