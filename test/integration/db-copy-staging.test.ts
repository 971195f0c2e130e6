/**
 * The staging path (copy-staging.ts): batches of STAGING_THRESHOLD rows and more are COPYed into
 * a temporary table first. The same rules hold as for small batches (db-entities, db-appointments),
 * checked here on batches large enough to take that path.
 */
import pg from 'pg';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ACCOUNT } from '../../src/account.js';
import { type AppointmentRow, upsertAppointments } from '../../src/db/appointments.js';
import { STAGING_THRESHOLD } from '../../src/db/copy-staging.js';
import { createDatabase, type Db, rawPool } from '../../src/db/database.js';
import { upsertStaff } from '../../src/db/entities.js';
import { tombstoneEntityRows } from '../../src/db/tombstones.js';
import type { StaffRecord } from '../../src/records.js';
import type { TestDatabase } from '../helpers/database.js';
import { useTestDatabase } from '../helpers/use-database.js';

let database: TestDatabase;
let db: Db;

useTestDatabase(['staff', 'appointments'], (created) => {
  database = created;
  db = created.db;
});

const N = STAGING_THRESHOLD;

const staff = (id: number, extra: Record<string, unknown> = {}): StaffRecord => ({
  id,
  businessId: 77,
  userName: `user${id}`,
  email: `u${id}@example.com`,
  lastName: `Lovelace ${id}`,
  raw: { professionalId: id, lastName: `Lovelace ${id}`, ...extra },
});
const batch = (extra: (id: number) => Record<string, unknown> = () => ({})) =>
  Array.from({ length: N }, (_, i) => staff(i + 1, extra(i + 1)));

/** xmin and ctid change with every new row version: both unchanged, nothing was written. */
async function versions(table: 'staff' | 'appointments'): Promise<Map<number, string>> {
  const rows = await db.$queryRawUnsafe<Array<{ id: bigint; v: string }>>(
    `SELECT id, xmin::text || ctid::text AS v FROM ${table} ORDER BY id`,
  );
  return new Map(rows.map((r) => [Number(r.id), r.v]));
}

/** Counts the connections borrowed outside Prisma (Prisma's own queries pass a callback). */
function countBorrowed(): { count: () => number; restore: () => void } {
  const pool = rawPool(db);
  if (!pool) throw new Error('the test database has no pool of its own');
  const connect = pool.connect;
  let borrowed = 0;
  pool.connect = function (this: typeof pool, ...args: unknown[]) {
    if (args.length === 0) borrowed += 1;
    return (connect as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof connect;
  return { count: () => borrowed, restore: () => (pool.connect = connect) };
}

async function sessionsHoldingTables(): Promise<number> {
  const rows = await db.$queryRaw<Array<{ n: number }>>`
    SELECT count(*)::int AS n FROM pg_class WHERE relname = 'sync_staging'`;
  return rows[0]?.n ?? 0;
}

describe('a batch through the staging table', () => {
  it('is taken from STAGING_THRESHOLD rows on; smaller batches stay one statement over arrays', async () => {
    const borrowed = countBorrowed();
    try {
      await upsertStaff(db, batch().slice(0, N - 1), { account: DEFAULT_ACCOUNT });
      expect(borrowed.count()).toBe(0);
      await upsertStaff(db, batch(), { account: DEFAULT_ACCOUNT });
      expect(borrowed.count()).toBe(1);
    } finally {
      borrowed.restore();
    }
  });

  it('inserts, then writes nothing for the same content, then updates only the changed rows', async () => {
    expect(await upsertStaff(db, batch(), { account: DEFAULT_ACCOUNT })).toMatchObject({
      inserted: N,
      updated: 0,
      unchanged: 0,
    });
    const before = await versions('staff');
    const reordered = batch()
      .map((r) => ({ ...r, raw: Object.fromEntries(Object.entries(r.raw).reverse()) }))
      .reverse();
    expect(await upsertStaff(db, reordered, { account: DEFAULT_ACCOUNT })).toMatchObject({
      inserted: 0,
      updated: 0,
      unchanged: N,
    });
    expect(await versions('staff')).toEqual(before);

    const changed = batch((id) => (id % 10 === 0 ? { note: 'changed' } : {}));
    expect(await upsertStaff(db, changed, { account: DEFAULT_ACCOUNT })).toMatchObject({
      updated: N / 10,
      unchanged: N - N / 10,
    });
    const after = await versions('staff');
    for (const [id, version] of before) {
      if (id % 10 === 0) expect(after.get(id)).not.toBe(version);
      else expect(after.get(id), `row ${id}`).toBe(version);
    }
    // The temporary table went with its transaction.
    expect(await sessionsHoldingTables()).toBe(0);
  });

  it('carries what COPY escapes, cleans NUL and lone surrogates and counts them', async () => {
    const awkward = 'tab\there, line\nbreak, cr\r, back\\slash, \\N, \\., end';
    const rows = batch().map((r) =>
      r.id === 7
        ? {
            ...r,
            lastName: awkward,
            userName: 'nul\u0000here',
            raw: { ...r.raw, awkward, bad: 'a\uD800', k: 'v\u0000', wide: 'Zürich – Nguyễn 😀' },
          }
        : r,
    );
    expect(await upsertStaff(db, rows, { account: DEFAULT_ACCOUNT })).toMatchObject({
      inserted: N,
      cleanedValues: 3,
    });
    const stored = await db.staff.findUniqueOrThrow({
      where: { account_id: { account: DEFAULT_ACCOUNT, id: 7n } },
    });
    expect(stored.lastName).toBe(awkward);
    expect(stored.userName).toBe('nulhere');
    expect(stored.raw).toMatchObject({ awkward, bad: 'a\uFFFD', k: 'v', wide: 'Zürich – Nguyễn 😀' });
    expect(
      (await db.staff.findUniqueOrThrow({ where: { account_id: { account: DEFAULT_ACCOUNT, id: 8n } } }))
        .email,
    ).toBe('u8@example.com');
    const before = await versions('staff');
    expect(await upsertStaff(db, rows, { account: DEFAULT_ACCOUNT })).toMatchObject({
      unchanged: N,
      cleanedValues: 3,
    });
    expect(await versions('staff')).toEqual(before);
  });

  it('revives tombstoned rows; onlyMissing fills gaps and touches no existing row', async () => {
    await upsertStaff(db, batch(), { account: DEFAULT_ACCOUNT });
    expect(await tombstoneEntityRows(db, 'staff', [1, 2], { account: DEFAULT_ACCOUNT })).toBe(2);
    expect(await upsertStaff(db, batch(), { account: DEFAULT_ACCOUNT })).toMatchObject({
      revived: 2,
      unchanged: N - 2,
    });

    await tombstoneEntityRows(db, 'staff', [3], { account: DEFAULT_ACCOUNT });
    const before = await versions('staff');
    const copies = Array.from({ length: N }, (_, i) => staff(i + 2, { copy: true }));
    // The copies of existing rows are not counted: their own list counts them.
    expect(await upsertStaff(db, copies, { account: DEFAULT_ACCOUNT, onlyMissing: true })).toMatchObject({
      inserted: 1,
      updated: 0,
      revived: 0,
      unchanged: 0,
    });
    const after = await versions('staff');
    for (const [id, version] of before) expect(after.get(id), `row ${id}`).toBe(version);
    expect(after.has(N + 1)).toBe(true);
  });

  it('never lets an older read of appointments overwrite a newer one', async () => {
    const appointment = (id: number, status: string): AppointmentRow => ({
      id,
      locationId: 1,
      status,
      startDate: '2026-02-02',
      startTime: 900,
      endTime: 945,
      raw: { calendarId: id, status },
    });
    const rows = (status: string) => Array.from({ length: N }, (_, i) => appointment(i + 1, status));
    const options = (time: string) => ({
      account: DEFAULT_ACCOUNT,
      readAt: new Date(`2026-01-10T${time}Z`),
      clientData: { mode: 'full' as const, hashKey: 'key' },
    });
    await upsertAppointments(db, rows('CANCELLED'), options('10:00:05'));
    const fetched = await versions('appointments');
    expect(await upsertAppointments(db, rows('OPEN'), options('10:00:00'))).toMatchObject({
      updated: 0,
      unchanged: N,
    });
    expect(await versions('appointments')).toEqual(fetched);
    expect(await upsertAppointments(db, rows('OPEN'), options('10:00:10'))).toMatchObject({ updated: N });
    const read = await db.$queryRaw<Array<{ read_at: Date; statuses: string[] }>>`
      SELECT max(read_at) AS read_at, array_agg(DISTINCT status) AS statuses FROM appointments`;
    expect(read[0]).toEqual({ read_at: new Date('2026-01-10T10:00:10Z'), statuses: ['OPEN'] });
  });

  it('keeps to the statement timeout, and a cancelled batch leaves its connection clean', async () => {
    await upsertStaff(db, batch(), { account: DEFAULT_ACCOUNT });
    const small = createDatabase(
      { url: database.url, poolSize: 1, connectTimeoutMs: 5_000, statementTimeoutMs: 300 },
      pino({ level: 'silent' }),
    );
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    try {
      // A row locked by another transaction: the batch that updates it waits until cancelled.
      await blocker.query('BEGIN; UPDATE staff SET user_name = user_name WHERE id = 5');
      const changed = batch(() => ({ note: 'changed' }));
      const failure = await upsertStaff(small.prisma, changed, { account: DEFAULT_ACCOUNT }).catch(
        (error: Error) => error,
      );
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toMatch(/statement timeout|canceling statement/);
      expect((failure as Error).message).not.toContain(database.url);
      await blocker.query('ROLLBACK');

      // The pool's only connection: outside any transaction, without the staging table.
      const state = await small.pool.query<{ outside: boolean; staging: number }>(
        `SELECT now() = statement_timestamp() AS outside,
          (SELECT count(*)::int FROM pg_class WHERE relname = 'sync_staging') AS staging`,
      );
      expect(state.rows[0]).toEqual({ outside: true, staging: 0 });
      expect(await upsertStaff(small.prisma, changed, { account: DEFAULT_ACCOUNT })).toMatchObject({
        updated: N,
      });
    } finally {
      await blocker.end();
      await small.close();
    }
  });
});
