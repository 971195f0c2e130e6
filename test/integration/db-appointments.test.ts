import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_ACCOUNT } from '../../src/account.js';
import {
  type AppointmentRow,
  countActiveAppointments,
  tombstoneAppointments,
  unseenAppointments,
  upsertAppointments,
} from '../../src/db/appointments.js';
import type { Db } from '../../src/db/database.js';
import { appointmentRow, at, readOptions } from '../helpers/appointment-rows.js';
import { useTestDatabase } from '../helpers/use-database.js';

let db: Db;

useTestDatabase(['appointments', 'clients', 'locations', 'staff', 'services'], (database) => {
  db = database.db;
});

interface Stored {
  id: bigint;
  xmin: string;
  status: string | null;
  local_start: string | null;
  duration_minutes: number | null;
  read_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
  raw: Record<string, unknown>;
}

async function stored(): Promise<Map<number, Stored>> {
  const rows = await db.$queryRaw<Stored[]>`
    SELECT id, xmin::text AS xmin, status, local_start::text AS local_start, duration_minutes, read_at,
      updated_at, deleted_at, raw
    FROM appointments ORDER BY id`;
  return new Map(rows.map((r) => [Number(r.id), r]));
}

describe('upsertAppointments', () => {
  it('inserts typed columns and raw, updates changed rows only, writes nothing for unchanged ones', async () => {
    expect(
      await upsertAppointments(db, [appointmentRow(1), appointmentRow(2)], readOptions(at('10:00:00'))),
    ).toEqual({
      inserted: 2,
      updated: 0,
      unchanged: 0,
      revived: 0,
      cleanedValues: 0,
      outOfRange: 0,
      tooDeep: 0,
    });
    const typed = await db.appointment.findUniqueOrThrow({
      where: { account_id: { account: DEFAULT_ACCOUNT, id: 1n } },
    });
    expect(typed).toMatchObject({
      businessId: 77n,
      locationId: 1n,
      staffId: 10n,
      serviceId: 20n,
      clientId: 30n,
      status: 'OPEN',
      startDate: '2026-02-02',
      endDate: '2026-02-02',
      startTime: 900,
      endTime: 945,
      durationMinutes: 45,
      recurringAppointmentId: null,
      readAt: at('10:00:00'),
      deletedAt: null,
    });
    const before = await stored();

    // The same content, read later: nothing written, read_at not bumped.
    expect(
      await upsertAppointments(db, [appointmentRow(2), appointmentRow(1)], readOptions(at('11:00:00'))),
    ).toMatchObject({ unchanged: 2, inserted: 0, updated: 0 });
    expect(await stored()).toEqual(before);

    await new Promise((resolve) => setTimeout(resolve, 20));
    const counts = await upsertAppointments(
      db,
      [appointmentRow(1), appointmentRow(2, { status: 'COMPLETED' })],
      readOptions(at('12:00:00')),
    );
    expect(counts).toMatchObject({ unchanged: 1, updated: 1 });
    const after = await stored();
    expect(after.get(1)).toEqual(before.get(1));
    expect(after.get(2)).toMatchObject({ status: 'COMPLETED', read_at: at('12:00:00') });
    expect(after.get(2)?.updated_at.getTime()).toBeGreaterThan(before.get(2)?.updated_at.getTime() ?? 0);
  });

  it('never lets an older read overwrite a newer one', async () => {
    // A webhook's fetch at 10:00:05 ...
    await upsertAppointments(db, [appointmentRow(1, { status: 'CANCELLED' })], readOptions(at('10:00:05')));
    const fetched = await stored();
    // ... then a report page read at 10:00:00 that still showed the old state: refused.
    expect(await upsertAppointments(db, [appointmentRow(1)], readOptions(at('10:00:00')))).toMatchObject({
      unchanged: 1,
      updated: 0,
    });
    expect(await stored()).toEqual(fetched);

    // The same read time with changed content is applied; with the same content, nothing.
    expect(
      await upsertAppointments(db, [appointmentRow(1, { status: 'NO_SHOW' })], readOptions(at('10:00:05'))),
    ).toMatchObject({ updated: 1 });
    const same = await stored();
    expect(same.get(1)?.status).toBe('NO_SHOW');
    expect(
      await upsertAppointments(db, [appointmentRow(1, { status: 'NO_SHOW' })], readOptions(at('10:00:05'))),
    ).toMatchObject({ unchanged: 1 });
    expect(await stored()).toEqual(same);

    // A newer read is applied.
    expect(await upsertAppointments(db, [appointmentRow(1)], readOptions(at('10:00:10')))).toMatchObject({
      updated: 1,
    });
    expect((await stored()).get(1)).toMatchObject({ status: 'OPEN', read_at: at('10:00:10') });
  });

  it('derives local_start and duration_minutes, across midnight, NULL when unusable', async () => {
    const rows = [
      appointmentRow(1, { startDate: '2026-02-02', startTime: 845, endDate: '2026-02-02', endTime: 1030 }),
      // Crosses midnight.
      appointmentRow(2, { startDate: '2026-02-28', startTime: 2330, endDate: '2026-03-01', endTime: 15 }),
      // An end at 24:00.
      appointmentRow(3, { startDate: '2026-02-02', startTime: 2300, endDate: '2026-02-02', endTime: 2400 }),
      // Missing inputs.
      appointmentRow(4, { startTime: undefined, endTime: undefined }),
      appointmentRow(5, { startDate: undefined, endDate: undefined }),
      appointmentRow(6, { endDate: undefined }),
      // Malformed: no 30th of February, no minute 75, an end before the start.
      appointmentRow(7, { startDate: '2026-02-30', endDate: '2026-02-30' }),
      appointmentRow(8, { startTime: 875 }),
      appointmentRow(9, { startTime: 1000, endTime: 900 }),
    ];
    await upsertAppointments(db, rows, readOptions(at('10:00:00')));
    const derived = [...(await stored()).values()].map((r) => [
      Number(r.id),
      r.local_start,
      r.duration_minutes,
    ]);
    expect(derived).toEqual([
      [1, '2026-02-02 08:45:00', 105],
      [2, '2026-02-28 23:30:00', 45],
      [3, '2026-02-02 23:00:00', 60],
      [4, null, null],
      [5, null, null],
      [6, '2026-02-02 09:00:00', null],
      [7, null, null],
      [8, null, null],
      [9, '2026-02-02 10:00:00', null],
    ]);
    // Typed columns hold only valid values: no minute 75, no 30th of February; raw keeps them.
    const malformed = await db.appointment.findUniqueOrThrow({
      where: { account_id: { account: DEFAULT_ACCOUNT, id: 8n } },
    });
    expect(malformed.startTime).toBeNull();
    expect((malformed.raw as { startTime: number }).startTime).toBe(875);
    const impossible = await db.appointment.findUniqueOrThrow({
      where: { account_id: { account: DEFAULT_ACCOUNT, id: 7n } },
    });
    expect([impossible.startDate, impossible.endDate]).toEqual([null, null]);
    expect((impossible.raw as { startDate: string }).startDate).toBe('2026-02-30');
  });

  it('removes NUL characters from typed columns and raw, and then sees no change', async () => {
    const row = appointmentRow(1, {
      status: 'OP\u0000EN',
      raw: { 'no\u0000te': 'a\u0000b', client: { clientId: 30, firstName: 'Ze\u0000lda' } },
    });
    const counts = await upsertAppointments(db, [row], readOptions(at('10:00:00')));
    expect(counts.cleanedValues).toBe(5);
    const stored1 = (await stored()).get(1);
    expect(stored1?.status).toBe('OPEN');
    expect(stored1?.raw).toMatchObject({
      note: 'ab',
      status: 'OPEN',
      client: { clientId: 30, firstName: 'Zelda' },
    });
    expect(await upsertAppointments(db, [row], readOptions(at('10:00:01')))).toMatchObject({ unchanged: 1 });
  });

  it('keeps a number that does not fit its column out of it, and raw keeps it', async () => {
    const counts = await upsertAppointments(
      db,
      [appointmentRow(1, { recurringAppointmentId: 2 ** 60, businessId: 2 ** 60 })],
      readOptions(at('10:00:00')),
    );
    expect(counts.outOfRange).toBe(2);
    const row = await db.appointment.findUniqueOrThrow({
      where: { account_id: { account: DEFAULT_ACCOUNT, id: 1n } },
    });
    expect(row.recurringAppointmentId).toBeNull();
    expect(row.businessId).toBeNull();
  });

  it('refuses an invalid read time', async () => {
    await expect(
      upsertAppointments(db, [appointmentRow(1)], readOptions(new Date(Number.NaN))),
    ).rejects.toThrow(/readAt/);
  });
});

describe('unseen and tombstoned appointments', () => {
  beforeEach(async () => {
    await upsertAppointments(
      db,
      [
        appointmentRow(1, { startDate: '2026-02-01' }),
        appointmentRow(2, { startDate: '2026-02-02' }),
        appointmentRow(3, { startDate: '2026-02-03' }),
        appointmentRow(4, { startDate: '2026-02-04' }),
        appointmentRow(5, { startDate: undefined }),
        appointmentRow(6, { startDate: '2026-02-02' }),
      ],
      readOptions(at('10:00:00')),
    );
    await tombstoneAppointments(db, [6], { account: DEFAULT_ACCOUNT });
  });

  it('finds the active ones in the range (inclusive) that were not seen', async () => {
    const range = { startDate: '2026-02-02', endDate: '2026-02-03' };
    expect(await unseenAppointments(db, DEFAULT_ACCOUNT, range, [2, 2, 99])).toEqual({
      active: 2,
      unseen: [3],
    });
    expect(
      await unseenAppointments(db, DEFAULT_ACCOUNT, { startDate: '2026-02-01', endDate: '2026-02-04' }, []),
    ).toEqual({
      active: 4,
      unseen: [1, 2, 3, 4],
    });
    expect(
      await unseenAppointments(db, DEFAULT_ACCOUNT, { startDate: '2027-01-01', endDate: '2027-12-31' }, []),
    ).toEqual({
      active: 0,
      unseen: [],
    });
    expect(await countActiveAppointments(db, DEFAULT_ACCOUNT)).toBe(5);
    expect(await countActiveAppointments(db, DEFAULT_ACCOUNT, range)).toBe(2);
    await expect(
      unseenAppointments(db, DEFAULT_ACCOUNT, { startDate: '2026-2-1', endDate: '2026-02-04' }, []),
    ).rejects.toThrow(RangeError);
  });

  it('tombstones, counts only rows it marked, and revives a row read again', async () => {
    expect(await tombstoneAppointments(db, [3, 6, 99], { account: DEFAULT_ACCOUNT })).toBe(1);
    expect(await countActiveAppointments(db, DEFAULT_ACCOUNT)).toBe(4);
    expect((await stored()).get(3)?.deleted_at).toBeInstanceOf(Date);
    expect(
      await upsertAppointments(
        db,
        [appointmentRow(3, { startDate: '2026-02-03' })],
        readOptions(at('10:00:00')),
      ),
    ).toMatchObject({ revived: 1 });
    expect((await stored()).get(3)?.deleted_at).toBeNull();
  });

  it('with the read that showed them gone: keeps rows read later, and no older read revives them', async () => {
    // Appointment 2 was fetched by a webhook after the read that found 1 and 2 gone.
    await upsertAppointments(
      db,
      [appointmentRow(2, { status: 'PENDING', startDate: '2026-02-02' })],
      readOptions(at('10:00:30')),
    );
    expect(
      await tombstoneAppointments(db, [1, 2], { account: DEFAULT_ACCOUNT, readAt: at('10:00:20') }),
    ).toBe(1);
    const after = await stored();
    expect(after.get(1)).toMatchObject({ read_at: at('10:00:20') });
    expect(after.get(1)?.deleted_at).toBeInstanceOf(Date);
    expect(after.get(2)?.deleted_at).toBeNull();

    // A page read before the tombstone, arriving late, does not revive it; a later read does.
    const late = appointmentRow(1, { startDate: '2026-02-01' });
    expect(await upsertAppointments(db, [late], readOptions(at('10:00:10')))).toMatchObject({ unchanged: 1 });
    expect((await stored()).get(1)?.deleted_at).toBeInstanceOf(Date);
    expect(await upsertAppointments(db, [late], readOptions(at('10:01:00')))).toMatchObject({ revived: 1 });
  });
});

describe('reporting views', () => {
  let today: string;
  const day = (offset: number) => {
    const date = new Date(`${today}T00:00:00Z`);
    date.setUTCDate(date.getUTCDate() + offset);
    return date.toISOString().slice(0, 10);
  };

  beforeEach(async () => {
    const [row] = await db.$queryRaw<
      Array<{ today: string }>
    >`SELECT to_char(current_date, 'YYYY-MM-DD') AS today`;
    today = row?.today ?? '';
    await db.$executeRawUnsafe(`
      INSERT INTO locations (id, name, raw, content_hash, deleted_at, inactive_at) VALUES
        (1, 'Harbor', '{}', 'h', NULL, NULL), (2, 'Closed', '{}', 'h', now(), NULL), (3, 'Hidden', '{}', 'h', NULL, now())`);
    await db.$executeRawUnsafe(`
      INSERT INTO staff (id, full_name, user_name, raw, content_hash) VALUES (10, 'Ann', NULL, '{}', 'h'), (11, NULL, 'bob', '{}', 'h')`);
    await db.$executeRawUnsafe(`
      INSERT INTO services (id, name, raw, content_hash) VALUES (20, 'Cut', '{}', 'h'), (21, 'Color', '{}', 'h')`);
    await db.$executeRawUnsafe(`
      INSERT INTO clients (id, first_name, last_name, raw, content_hash, deleted_at, inactive_at) VALUES
        (30, 'Zoe', 'Park', '{}', 'h', NULL, NULL), (31, 'Gone', 'Client', '{}', 'h', now(), NULL),
        (32, 'Hidden', 'Client', '{}', 'h', NULL, now()), (34, 'Never', 'Came', '{}', 'h', NULL, NULL)`);
    const d1 = day(-30);
    const d2 = day(-29);
    const at1 = (id: number, extra: Partial<AppointmentRow>) =>
      appointmentRow(id, { startDate: d1, endDate: d1, ...extra });
    await upsertAppointments(
      db,
      [
        at1(100, { status: 'COMPLETED', startTime: 900, endTime: 930 }),
        at1(101, { status: 'CANCELLED', startTime: 1000, endTime: 1100 }),
        at1(102, { status: 'NO_SHOW', clientId: 33, startTime: 1100, endTime: 1145 }),
        at1(103, { status: 'OPEN', startTime: 1200, endTime: 1300 }),
        at1(104, {
          status: 'COMPLETED',
          staffId: 11,
          serviceId: 21,
          clientId: 31,
          startTime: 2330,
          endDate: d2,
          endTime: 30,
        }),
        appointmentRow(105, {
          status: 'COMPLETED',
          locationId: 2,
          clientId: 32,
          startDate: d2,
          endDate: d2,
          startTime: 900,
          endTime: 1000,
        }),
        at1(106, { status: 'COMPLETED' }),
        at1(107, { status: undefined, startTime: undefined, endTime: undefined }),
        appointmentRow(108, {
          status: 'OPEN',
          startDate: day(10),
          endDate: day(10),
          startTime: 900,
          endTime: 1000,
        }),
        appointmentRow(109, {
          status: 'PENDING',
          startDate: day(1),
          endDate: day(1),
          startTime: 900,
          endTime: 1000,
        }),
        appointmentRow(110, {
          status: 'COMPLETED',
          startDate: d2,
          endDate: d2,
          startTime: 900,
          endTime: 915,
        }),
        appointmentRow(111, {
          status: 'OPEN',
          locationId: 3,
          startDate: day(0),
          endDate: day(0),
          startTime: 800,
          endTime: 900,
        }),
      ],
      readOptions(at('10:00:00')),
    );
    await tombstoneAppointments(db, [106], { account: DEFAULT_ACCOUNT });
  });

  async function view(sql: string): Promise<unknown[][]> {
    const rows = await db.$queryRawUnsafe<Array<Record<string, unknown>>>(sql);
    return rows.map((row) =>
      Object.values(row).map((v) =>
        typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.toISOString() : v,
      ),
    );
  }

  it('appointments_view: active appointments with the names of active objects', async () => {
    const d1 = day(-30);
    const d2 = day(-29);
    expect(await view('SELECT appointment_id FROM appointments_view ORDER BY 1')).toEqual(
      [100, 101, 102, 103, 104, 105, 107, 108, 109, 110, 111].map((id) => [id]),
    );
    expect(
      await view(`
        SELECT appointment_id, start_date, start_time, end_date, end_time, local_start::text, local_end::text,
          duration_minutes, status, location_id, location_name, staff_id, staff_name, service_id, service_name,
          client_id, client_name
        FROM appointments_view WHERE appointment_id IN (100, 104, 105, 107, 111) ORDER BY 1`),
    ).toEqual([
      [
        100,
        d1,
        900,
        d1,
        930,
        `${d1} 09:00:00`,
        `${d1} 09:30:00`,
        30,
        'COMPLETED',
        1,
        'Harbor',
        10,
        'Ann',
        20,
        'Cut',
        30,
        'Zoe Park',
      ],
      [
        104,
        d1,
        2330,
        d2,
        30,
        `${d1} 23:30:00`,
        `${d2} 00:30:00`,
        60,
        'COMPLETED',
        1,
        'Harbor',
        11,
        'bob',
        21,
        'Color',
        31,
        null,
      ],
      [
        105,
        d2,
        900,
        d2,
        1000,
        `${d2} 09:00:00`,
        `${d2} 10:00:00`,
        60,
        'COMPLETED',
        2,
        null,
        10,
        'Ann',
        20,
        'Cut',
        32,
        null,
      ],
      [107, d1, null, d1, null, null, null, null, null, 1, 'Harbor', 10, 'Ann', 20, 'Cut', 30, 'Zoe Park'],
      [
        111,
        day(0),
        800,
        day(0),
        900,
        `${day(0)} 08:00:00`,
        `${day(0)} 09:00:00`,
        60,
        'OPEN',
        3,
        null,
        10,
        'Ann',
        20,
        'Cut',
        30,
        'Zoe Park',
      ],
    ]);
  });

  it('appointment_daily_view: counts per day, location, staff member and service', async () => {
    const d1 = day(-30);
    const d2 = day(-29);
    expect(
      await view(`
        SELECT start_date, location_id, location_name, staff_id, staff_name, service_id, service_name,
          booked, completed, cancelled, no_show, booked_minutes
        FROM appointment_daily_view ORDER BY start_date, location_id, staff_id, service_id`),
    ).toEqual([
      // 100 completed, 101 cancelled, 102 no-show, 103 open, 107 without status or times (106 tombstoned).
      [d1, 1, 'Harbor', 10, 'Ann', 20, 'Cut', 4, 1, 1, 1, 30 + 45 + 60],
      [d1, 1, 'Harbor', 11, 'bob', 21, 'Color', 1, 1, 0, 0, 60],
      [d2, 1, 'Harbor', 10, 'Ann', 20, 'Cut', 1, 1, 0, 0, 15],
      [d2, 2, null, 10, 'Ann', 20, 'Cut', 1, 1, 0, 0, 60],
      [day(0), 3, null, 10, 'Ann', 20, 'Cut', 1, 0, 0, 0, 60],
      [day(1), 1, 'Harbor', 10, 'Ann', 20, 'Cut', 1, 0, 0, 0, 60],
      [day(10), 1, 'Harbor', 10, 'Ann', 20, 'Cut', 1, 0, 0, 0, 60],
    ]);
  });

  it('client_visits_view: visits, no-shows and upcoming appointments per client', async () => {
    const d1 = day(-30);
    const d2 = day(-29);
    expect(
      await view(`
        SELECT client_id, client_name, first_visit, last_visit, visits, no_shows, upcoming
        FROM client_visits_view ORDER BY client_id`),
    ).toEqual([
      // 100 and 110 completed; 108, 109 and 111 open or pending from today on; 103 open but past.
      [30, 'Zoe Park', d1, d2, 2, 0, 3],
      // 31 (tombstoned) and 32 (inactive) are left out; 33 is named by an appointment only.
      [33, null, null, null, 0, 1, 0],
      [34, 'Never Came', null, null, 0, 0, 0],
    ]);
  });
});
