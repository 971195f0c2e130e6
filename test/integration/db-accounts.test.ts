/**
 * Two accounts in one mirror never mix. `alpha` and `beta` hold the SAME TimeTap ids (locations,
 * staff, services, clients, appointments, links) with different content, as two businesses'
 * numbering may well do; beta has a few ids of its own besides. Every writer and reader of the
 * mirror, every trigger, view and notification must keep to the account it names: each assertion
 * here fails if an `account = ...` condition goes missing from its SQL (a write of one account
 * would count, overwrite, tombstone or join the other's row of the same id).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { startRunIfIdle } from '../../src/db/active-runs.js';
import {
  type AppointmentRow,
  appointmentReadAt,
  countActiveAppointments,
  tombstoneAppointments,
  unseenAppointments,
  upsertAppointments,
} from '../../src/db/appointments.js';
import {
  backfilledHistory,
  completedChunks,
  forgetChunks,
  recordCompletedChunk,
} from '../../src/db/backfill-chunks.js';
import { type ClientDataPolicy, scrubClientData } from '../../src/db/client-data.js';
import { missingClientIds, upsertClients } from '../../src/db/clients.js';
import { STAGING_THRESHOLD } from '../../src/db/copy-staging.js';
import type { Db } from '../../src/db/database.js';
import { countActiveRows, deleteBaseline } from '../../src/db/delete-baseline.js';
import { upsertLocations, upsertServices, upsertStaff } from '../../src/db/entities.js';
import { type LocationLinks, recordLocationLinks } from '../../src/db/links.js';
import { defaultMigrationsDir, migrate } from '../../src/db/migrate.js';
import { finishRun, lastSuccesses, recentRuns } from '../../src/db/sync-runs.js';
import {
  setInactive,
  tombstoneEntityRows,
  tombstoneLocationLinks,
  unseenEntities,
} from '../../src/db/tombstones.js';
import type { ClientRecord } from '../../src/records.js';
import { appointmentRow } from '../helpers/appointment-rows.js';
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from '../helpers/database.js';

const ALPHA = 'alpha';
const BETA = 'beta';
type Account = typeof ALPHA | typeof BETA;

const TABLES = [
  'locations',
  'staff',
  'services',
  'clients',
  'appointments',
  'location_staff',
  'location_services',
  'staff_services',
  'appointment_history',
  'backfill_chunks',
] as const;

let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'));
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});
beforeEach(async () => {
  await db.$executeRawUnsafe(`TRUNCATE ${TABLES.join(', ')}, sync_runs`);
});

const key = 'b1'.repeat(32);
const full: ClientDataPolicy = { mode: 'full', hashKey: key };
const pseudonymous: ClientDataPolicy = { mode: 'pseudonymous', hashKey: key };
const readAt = new Date('2026-01-10T10:00:00Z');
const later = new Date('2026-01-10T11:00:00Z');
const range = { startDate: '2026-02-01', endDate: '2026-02-28' };
const guard = { ratio: 1, allowMassDelete: true };

/** Each account's zone: the same local 09:00 is a different instant in each. */
const ZONE: Record<Account, string> = { alpha: 'America/New_York', beta: 'Europe/Berlin' };

function client(account: Account, id: number): ClientRecord {
  const raw = {
    clientId: id,
    firstName: `${account}First${id}`,
    emailAddress: `${account}.${id}@example.org`,
  };
  return { id, firstName: raw.firstName, email: raw.emailAddress, raw };
}

function appointment(account: Account, id: number, extra: Partial<AppointmentRow> = {}): AppointmentRow {
  // The shared fixture, with a raw of this account's own: its note and its client.
  const row = appointmentRow(id, { businessId: undefined, ...extra });
  row.raw = {
    calendarId: id,
    status: row.status,
    note: `${account} booking ${id}`,
    client: client(account, row.clientId ?? 30).raw,
  };
  return row;
}

const links: LocationLinks = {
  staffIds: [10, 11],
  serviceIds: [20, 21],
  staffServices: [
    [10, 20],
    [11, 21],
  ],
};

/**
 * One account's mirror. Both accounts hold locations 1-2, staff 10-11, services 20-21, clients
 * 30-31, appointments 100-102 and location 1's links; beta also holds location 3, client 32 and
 * appointment 103 (so that the accounts' counts differ).
 */
async function seed(account: Account, at = readAt): Promise<void> {
  const write = { account };
  const extra = account === BETA ? 1 : 0;
  const ids = (from: number, n: number) => Array.from({ length: n + extra }, (_, i) => from + i);
  await upsertLocations(
    db,
    ids(1, 2).map((id) => ({
      id,
      name: `${account} location ${id}`,
      timeZone: ZONE[account],
      raw: { account, id },
    })),
    write,
  );
  await upsertStaff(
    db,
    [10, 11].map((id) => ({ id, fullName: `${account} staff ${id}`, raw: { account, id } })),
    write,
  );
  await upsertServices(
    db,
    [20, 21].map((id) => ({ id, name: `${account} service ${id}`, raw: { account, id } })),
    write,
  );
  await upsertClients(
    db,
    ids(30, 2).map((id) => client(account, id)),
    { ...write, clientData: full },
  );
  await upsertAppointments(
    db,
    ids(100, 3).map((id) => appointment(account, id)),
    { ...write, readAt: at, clientData: full },
  );
  await recordLocationLinks(db, 1, links, write);
}

/** Every row of `account` in every mirror table, with its xmin: any write to a row changes it. */
async function snapshot(account: Account): Promise<Record<string, unknown[]>> {
  const result: Record<string, unknown[]> = {};
  for (const table of TABLES) {
    const rows = await db.$queryRawUnsafe<Array<{ xmin: string; row: unknown; text: string }>>(
      `SELECT t.xmin::text AS xmin, to_jsonb(t) AS row, to_jsonb(t)::text AS text FROM ${table} t
       WHERE t.account = $1 ORDER BY text`,
      account,
    );
    result[table] = rows.map(({ xmin, row }) => ({ xmin, row }));
  }
  return result;
}

async function countsByAccount(): Promise<Record<string, Record<string, number>>> {
  const result: Record<string, Record<string, number>> = {};
  for (const table of TABLES) {
    const rows = await db.$queryRawUnsafe<Array<{ account: string; n: number }>>(
      `SELECT account, count(*)::int AS n FROM ${table} GROUP BY account ORDER BY account`,
    );
    result[table] = Object.fromEntries(rows.map((r) => [r.account, r.n]));
  }
  return result;
}

/** The active ids (or link keys) of `account` in `table`. */
async function active(account: Account, table: string, columns = 'id'): Promise<string[]> {
  const rows = await db.$queryRawUnsafe<Array<{ k: string }>>(
    `SELECT concat_ws(':', ${columns}) AS k FROM ${table} WHERE account = $1 AND deleted_at IS NULL ORDER BY 1`,
    account,
  );
  return rows.map((r) => r.k);
}

describe('writes of one account never touch the other', () => {
  it('upserts: the same ids insert new rows for the second account and leave the first as it was', async () => {
    await seed(ALPHA);
    const alpha = await snapshot(ALPHA);

    // Beta's rows are new rows, not updates of alpha's of the same id.
    const write = { account: BETA };
    expect(
      await upsertLocations(
        db,
        [1, 2, 3].map((id) => ({ id, name: `beta location ${id}`, raw: { id } })),
        write,
      ),
    ).toMatchObject({ inserted: 3, updated: 0, unchanged: 0 });
    expect(await upsertStaff(db, [{ id: 10, fullName: 'beta staff', raw: { id: 10 } }], write)).toMatchObject(
      {
        inserted: 1,
        updated: 0,
      },
    );
    expect(
      await upsertClients(db, [client(BETA, 30), client(BETA, 32)], { ...write, clientData: full }),
    ).toMatchObject({ inserted: 2, updated: 0 });
    expect(
      await upsertAppointments(db, [appointment(BETA, 100), appointment(BETA, 103)], {
        ...write,
        readAt,
        clientData: full,
      }),
    ).toMatchObject({ inserted: 2, updated: 0 });
    expect(await recordLocationLinks(db, 1, links, write)).toMatchObject({
      location_staff: { inserted: 2, revived: 0, unchanged: 0 },
      staff_services: { inserted: 2, revived: 0, unchanged: 0 },
    });
    expect(await snapshot(ALPHA)).toEqual(alpha);

    // And a change of beta's content rewrites beta's rows only.
    await db.$executeRawUnsafe('TRUNCATE locations, staff, services, clients, appointments, location_staff');
    await db.$executeRawUnsafe('TRUNCATE location_services, staff_services, appointment_history');
    await seed(ALPHA);
    await seed(BETA);
    const before = await snapshot(ALPHA);
    expect(
      await upsertLocations(
        db,
        [{ id: 1, name: 'beta renamed', timeZone: ZONE.beta, raw: { renamed: true } }],
        {
          account: BETA,
        },
      ),
    ).toMatchObject({ inserted: 0, updated: 1 });
    expect(
      await upsertAppointments(db, [appointment(BETA, 100, { status: 'CANCELLED' })], {
        account: BETA,
        readAt: later,
        clientData: full,
      }),
    ).toMatchObject({ inserted: 0, updated: 1 });
    expect(await snapshot(ALPHA)).toEqual(before);
    const names = await db.$queryRaw<Array<{ account: string; name: string }>>`
      SELECT account, name FROM locations WHERE id = 1 ORDER BY account`;
    expect(names).toEqual([
      { account: ALPHA, name: 'alpha location 1' },
      { account: BETA, name: 'beta renamed' },
    ]);
    expect(await countsByAccount()).toMatchObject({
      locations: { alpha: 2, beta: 3 },
      staff: { alpha: 2, beta: 2 },
      services: { alpha: 2, beta: 2 },
      clients: { alpha: 2, beta: 3 },
      appointments: { alpha: 3, beta: 4 },
      location_staff: { alpha: 2, beta: 2 },
      location_services: { alpha: 2, beta: 2 },
      staff_services: { alpha: 2, beta: 2 },
    });
  });

  it('a batch past the staging threshold (COPY) keys its rows by the account too', async () => {
    const ids = Array.from({ length: STAGING_THRESHOLD + 100 }, (_, i) => 1_000 + i);
    const write = (account: Account) =>
      upsertAppointments(
        db,
        ids.map((id) => appointment(account, id)),
        { account, readAt, clientData: full },
      );
    expect(await write(ALPHA)).toMatchObject({ inserted: ids.length, updated: 0 });
    const alpha = await snapshot(ALPHA);
    expect(await write(BETA)).toMatchObject({ inserted: ids.length, updated: 0, unchanged: 0 });
    expect(await snapshot(ALPHA)).toEqual(alpha);
    expect(await write(BETA)).toMatchObject({ inserted: 0, updated: 0, unchanged: ids.length });
  });

  it("start_at is computed in the row's own account's time zone, at insert and when the zone changes", async () => {
    await seed(ALPHA);
    await seed(BETA);
    const startAt = async () =>
      db.$queryRaw<Array<{ account: string; start_at: Date }>>`
        SELECT account, start_at FROM appointments WHERE id = 100 ORDER BY account`;
    expect(await startAt()).toEqual([
      { account: ALPHA, start_at: new Date('2026-02-02T14:00:00Z') },
      { account: BETA, start_at: new Date('2026-02-02T08:00:00Z') },
    ]);
    const beta = await snapshot(BETA);
    await upsertLocations(
      db,
      [{ id: 1, name: 'alpha location 1', timeZone: 'Asia/Tokyo', raw: { moved: true } }],
      {
        account: ALPHA,
      },
    );
    expect(await startAt()).toEqual([
      { account: ALPHA, start_at: new Date('2026-02-02T00:00:00Z') },
      { account: BETA, start_at: new Date('2026-02-02T08:00:00Z') },
    ]);
    expect(await snapshot(BETA)).toEqual(beta);
  });

  it('tombstones and inactive marks of entities, clients and their links stay within the account', async () => {
    await seed(ALPHA);
    await seed(BETA);
    // Beta's service 20 is inactive: alpha's revival of its own services must leave it so.
    expect(await setInactive(db, 'services', [20], true, { account: BETA })).toBe(1);
    const beta = await snapshot(BETA);
    expect(await tombstoneEntityRows(db, 'locations', [1, 2], { account: ALPHA })).toBe(2);
    expect(await tombstoneEntityRows(db, 'staff', [11], { account: ALPHA })).toBe(1);
    expect(await tombstoneEntityRows(db, 'clients', [31], { account: ALPHA })).toBe(1);
    expect(await setInactive(db, 'services', [21], true, { account: ALPHA })).toBe(1);
    expect(await active(ALPHA, 'locations')).toEqual([]);
    // A tombstoned location takes its links along: alpha's, not beta's of the same location id.
    expect(await active(ALPHA, 'location_staff', 'location_id, staff_id')).toEqual([]);
    expect(await active(ALPHA, 'staff_services', 'location_id, staff_id, service_id')).toEqual([]);
    expect(await snapshot(BETA)).toEqual(beta);

    // Revived by alpha's next sight of them: beta's rows still untouched.
    expect(await setInactive(db, 'services', [20, 21], false, { account: ALPHA })).toBe(1);
    expect(await snapshot(BETA)).toEqual(beta);
    expect(await setInactive(db, 'services', [20, 21], false, { account: BETA })).toBe(1);
  });

  it("a location's unseen links are marked in that account only", async () => {
    await seed(ALPHA);
    await seed(BETA);
    const beta = await snapshot(BETA);
    const seen: LocationLinks = { staffIds: [10], serviceIds: [20], staffServices: [[10, 20]] };
    expect(await tombstoneLocationLinks(db, 1, seen, guard, undefined, { account: ALPHA })).toEqual({
      location_staff: { refused: false, deleted: 1 },
      location_services: { refused: false, deleted: 1 },
      staff_services: { refused: false, deleted: 1 },
    });
    expect(await active(ALPHA, 'location_staff', 'location_id, staff_id')).toEqual(['1:10']);
    expect(await active(BETA, 'location_staff', 'location_id, staff_id')).toEqual(['1:10', '1:11']);
    expect(await snapshot(BETA)).toEqual(beta);

    // The counts that recording hands over are the account's own too: beta sees nothing unseen.
    const recorded = await recordLocationLinks(db, 1, links, { account: BETA });
    expect(recorded.location_staff).toEqual({ inserted: 0, revived: 0, unchanged: 2 });
    expect(await tombstoneLocationLinks(db, 1, links, guard, recorded.state, { account: BETA })).toEqual({
      location_staff: { refused: false, deleted: 0 },
      location_services: { refused: false, deleted: 0 },
      staff_services: { refused: false, deleted: 0 },
    });
    // Alpha's links come back when alpha sees them again; beta's are not counted as revived.
    expect((await recordLocationLinks(db, 1, links, { account: ALPHA })).location_staff).toEqual({
      inserted: 0,
      revived: 1,
      unchanged: 1,
    });
  });

  it('appointments tombstoned by id or by range are the account’s own', async () => {
    await seed(ALPHA);
    await seed(BETA);
    const beta = await snapshot(BETA);
    expect(await tombstoneAppointments(db, [100], { account: ALPHA })).toBe(1);
    const unseen = await unseenAppointments(db, ALPHA, range, [101]);
    expect(unseen).toEqual({ active: 2, unseen: [102] });
    expect(await tombstoneAppointments(db, unseen.unseen, { account: ALPHA, readAt: later })).toBe(1);
    expect(await active(ALPHA, 'appointments')).toEqual(['101']);
    expect(await snapshot(BETA)).toEqual(beta);
    expect(await unseenAppointments(db, BETA, range, [101])).toEqual({ active: 4, unseen: [100, 102, 103] });
  });
});

describe('reads name one account', () => {
  it('unseen rows, active counts, read times and missing clients', async () => {
    await seed(ALPHA);
    await seed(BETA, later);
    // Beta's location 3 is not alpha's: alpha saw everything it has.
    expect(await unseenEntities(db, ALPHA, 'locations', [1, 2])).toEqual({
      active: 2,
      missing: [],
      inactive: [],
    });
    expect(await unseenEntities(db, BETA, 'locations', [1, 2])).toEqual({
      active: 3,
      missing: [3],
      inactive: [],
    });
    await setInactive(db, 'clients', [31], true, { account: BETA });
    expect(await unseenEntities(db, ALPHA, 'clients', [30])).toEqual({
      active: 2,
      missing: [31],
      inactive: [],
    });
    expect(await unseenEntities(db, BETA, 'clients', [30])).toEqual({
      active: 3,
      missing: [32],
      inactive: [31],
    });
    // Alpha's tombstoned row is not unseen because beta still has an active row of its id.
    await tombstoneEntityRows(db, 'clients', [31], { account: ALPHA });
    expect(await unseenEntities(db, ALPHA, 'clients', [30])).toEqual({
      active: 1,
      missing: [],
      inactive: [],
    });

    expect(await countActiveAppointments(db, ALPHA)).toBe(3);
    expect(await countActiveAppointments(db, BETA, range)).toBe(4);
    expect(await appointmentReadAt(db, ALPHA, 100)).toEqual(readAt);
    expect(await appointmentReadAt(db, BETA, 100)).toEqual(later);
    expect(await appointmentReadAt(db, ALPHA, 103)).toBeUndefined();
    expect(await missingClientIds(db, ALPHA, [30, 31, 32])).toEqual([32]);
    expect(await missingClientIds(db, BETA, [30, 31, 32])).toEqual([]);

    expect(await countActiveRows(db, ALPHA)).toEqual({
      locations: 2,
      staff: 2,
      services: 2,
      clients: 1,
      appointments: 3,
      location_staff: 2,
      location_services: 2,
      staff_services: 2,
    });
    expect(await countActiveRows(db, BETA)).toMatchObject({ locations: 3, clients: 3, appointments: 4 });
  });

  it("the delete guard's baseline is made of the account's own runs", async () => {
    const run = (account: Account, locations: number) =>
      db.syncRun.create({
        data: {
          account,
          scope: 'full',
          trigger: 'test',
          status: 'succeeded',
          finishedAt: new Date(),
          activeRows: { locations, staff: locations * 10 },
        },
      });
    await run(ALPHA, 5);
    await run(BETA, 700);
    await run(ALPHA, 7);
    expect(await deleteBaseline(db, ALPHA)).toMatchObject({ locations: 7, staff: 70, clients: 0 });
    expect(await deleteBaseline(db, BETA)).toMatchObject({ locations: 700, staff: 7000 });
  });

  it('one alive run per scope and account; sync_status_view and the last successes per account', async () => {
    const options = { freshWithinMs: 60_000 };
    const start = (account: Account) =>
      startRunIfIdle(db, { account, scope: 'full', trigger: 'test' }, options);
    const alpha = await start(ALPHA);
    expect(alpha).toHaveProperty('runId');
    // Beta's full sync is not alpha's: it starts beside it; a second one of alpha's does not.
    const beta = await start(BETA);
    expect(beta).toHaveProperty('runId');
    expect(await start(ALPHA)).toEqual({ activeRunId: (alpha as { runId: number }).runId });

    const outcome = { status: 'succeeded' as const, stats: {}, apiCalls: 1, retries: 0, relogins: 0 };
    await finishRun(db, (beta as { runId: number }).runId, outcome);
    const status = await db.$queryRaw<Array<{ account: string; last_success_run_id: number | null }>>`
      SELECT account, last_success_run_id FROM sync_status_view ORDER BY account`;
    expect(status).toEqual([
      { account: ALPHA, last_success_run_id: null },
      { account: BETA, last_success_run_id: (beta as { runId: number }).runId },
    ]);
    expect((await lastSuccesses(db)).map((s) => [s.account, s.scope])).toEqual([[BETA, 'full']]);
    expect((await recentRuns(db, 10, ALPHA)).map((r) => r.account)).toEqual([ALPHA]);
  });

  it("a backfill's completed chunks are the account's own", async () => {
    const january = { startDate: '2026-01-01', endDate: '2026-01-31' };
    const february = { startDate: '2026-02-01', endDate: '2026-02-28' };
    await recordCompletedChunk(db, ALPHA, january, { runId: 1, pages: 2, records: 150 });
    await recordCompletedChunk(db, BETA, february, { runId: 2, pages: 1, records: 40 });
    // The same chunk for both: one row each, neither overwrites the other.
    await recordCompletedChunk(db, BETA, january, { runId: 3, pages: 1, records: 9 });

    expect(await completedChunks(db, ALPHA, [january, february])).toEqual(new Set(['2026-01-01']));
    expect(await completedChunks(db, BETA, [january, february])).toEqual(
      new Set(['2026-01-01', '2026-02-01']),
    );
    expect(await backfilledHistory(db, ALPHA)).toEqual({
      chunks: 1,
      from: '2026-01-01',
      to: '2026-01-31',
      records: 150,
    });
    expect(await backfilledHistory(db, BETA)).toEqual({
      chunks: 2,
      from: '2026-01-01',
      to: '2026-02-28',
      records: 49,
    });

    expect(await forgetChunks(db, BETA, { startDate: '2026-01-01', endDate: '2026-12-31' })).toBe(2);
    expect(await completedChunks(db, ALPHA, [january])).toEqual(new Set(['2026-01-01']));
    expect(await backfilledHistory(db, BETA)).toEqual({ chunks: 0, from: null, to: null, records: 0 });
  });
});

describe('per-account data handling', () => {
  it("scrubClientData brings one account's clients and appointments down, never the other's", async () => {
    await seed(ALPHA);
    await seed(BETA);
    // A client and an appointment whose content is the same in both accounts (the same hash): a
    // scrub of alpha's must still not write beta's.
    const twin: ClientRecord = { id: 33, firstName: 'Twin', raw: { clientId: 33, firstName: 'Twin' } };
    const twinAppointment = {
      ...appointment(ALPHA, 104, { clientId: 33 }),
      raw: { calendarId: 104, client: twin.raw },
    };
    for (const account of [ALPHA, BETA]) {
      await upsertClients(db, [twin], { account, clientData: full });
      await upsertAppointments(db, [twinAppointment], { account, readAt, clientData: full });
    }
    const beta = await snapshot(BETA);
    expect(await scrubClientData(db, pseudonymous, { account: ALPHA })).toEqual({
      clients: 3,
      appointments: 4,
    });
    const personal = await db.$queryRaw<Array<{ account: string; n: number }>>`
      SELECT account, count(*)::int AS n FROM clients WHERE first_name IS NOT NULL GROUP BY account ORDER BY account`;
    expect(personal).toEqual([{ account: BETA, n: 4 }]);
    const notes = await db.$queryRaw<Array<{ account: string; n: number }>>`
      SELECT account, count(*)::int AS n FROM appointments WHERE raw ? 'note' GROUP BY account ORDER BY account`;
    expect(notes).toEqual([{ account: BETA, n: 4 }]);
    expect(await snapshot(BETA)).toEqual(beta);
    expect(await scrubClientData(db, pseudonymous, { account: BETA })).toEqual({
      clients: 4,
      appointments: 5,
    });
  });

  it("appointment_history keeps each account's versions of the same appointment id apart", async () => {
    await seed(ALPHA);
    await seed(BETA);
    await upsertAppointments(db, [appointment(ALPHA, 100, { status: 'CANCELLED' })], {
      account: ALPHA,
      readAt: later,
      clientData: full,
    });
    await tombstoneAppointments(db, [101], { account: BETA, readAt: later });
    const versions = await db.$queryRaw<
      Array<{
        account: string;
        appointment_id: bigint;
        status: string;
        valid_to: Date | null;
        deleted: boolean;
      }>
    >`
      SELECT account, appointment_id, status, valid_to, deleted FROM appointment_history
      WHERE appointment_id IN (100, 101) ORDER BY account, appointment_id, valid_from`;
    expect(versions).toEqual([
      { account: ALPHA, appointment_id: 100n, status: 'OPEN', valid_to: later, deleted: false },
      { account: ALPHA, appointment_id: 100n, status: 'CANCELLED', valid_to: null, deleted: false },
      { account: ALPHA, appointment_id: 101n, status: 'OPEN', valid_to: null, deleted: false },
      { account: BETA, appointment_id: 100n, status: 'OPEN', valid_to: null, deleted: false },
      { account: BETA, appointment_id: 101n, status: 'OPEN', valid_to: later, deleted: false },
      { account: BETA, appointment_id: 101n, status: 'OPEN', valid_to: null, deleted: true },
    ]);
    const changes = await db.$queryRaw<
      Array<{ account: string; appointment_id: bigint; column_name: string }>
    >`
      SELECT account, appointment_id, column_name FROM appointment_changes_view ORDER BY account, appointment_id`;
    expect(changes).toEqual([
      { account: ALPHA, appointment_id: 100n, column_name: 'status' },
      { account: BETA, appointment_id: 101n, column_name: 'deleted' },
    ]);
  });
});

describe('the views', () => {
  it("list both accounts' rows with their account, each joined to its own account's names", async () => {
    await seed(ALPHA);
    await seed(BETA);
    const appointments = await db.$queryRaw<
      Array<{
        account: string;
        appointment_id: bigint;
        location_name: string | null;
        staff_name: string | null;
        service_name: string | null;
        client_name: string | null;
        time_zone: string | null;
      }>
    >`
      SELECT account, appointment_id, location_name, staff_name, service_name, client_name, time_zone
      FROM appointments_view WHERE appointment_id = 100 ORDER BY account`;
    expect(appointments).toEqual(
      [ALPHA, BETA].map((account) => ({
        account,
        appointment_id: 100n,
        location_name: `${account} location 1`,
        staff_name: `${account} staff 10`,
        service_name: `${account} service 20`,
        client_name: `${account}First30`,
        time_zone: ZONE[account as Account],
      })),
    );
    const perAccount = await db.$queryRaw<Array<{ account: string; n: number }>>`
      SELECT account, count(*)::int AS n FROM appointments_view GROUP BY account ORDER BY account`;
    expect(perAccount).toEqual([
      { account: ALPHA, n: 3 },
      { account: BETA, n: 4 },
    ]);

    const staffLinks = await db.$queryRaw<
      Array<{ account: string; location_name: string; staff_name: string }>
    >`
      SELECT account, location_name, staff_name FROM location_staff_view ORDER BY account, staff_id`;
    expect(staffLinks).toEqual(
      [ALPHA, BETA].flatMap((account) =>
        [10, 11].map((id) => ({
          account,
          location_name: `${account} location 1`,
          staff_name: `${account} staff ${id}`,
        })),
      ),
    );
    const pairs = await db.$queryRaw<Array<{ account: string; staff_name: string; service_name: string }>>`
      SELECT account, staff_name, service_name FROM staff_services_view ORDER BY account, staff_id`;
    expect(pairs).toEqual(
      [ALPHA, BETA].flatMap((account) => [
        { account, staff_name: `${account} staff 10`, service_name: `${account} service 20` },
        { account, staff_name: `${account} staff 11`, service_name: `${account} service 21` },
      ]),
    );

    // Alpha's location gone: alpha's appointment loses its location name, beta's keeps its own.
    await tombstoneEntityRows(db, 'locations', [1], { account: ALPHA });
    const names = await db.$queryRaw<Array<{ account: string; location_name: string | null }>>`
      SELECT account, location_name FROM appointments_view WHERE appointment_id = 100 ORDER BY account`;
    expect(names).toEqual([
      { account: ALPHA, location_name: null },
      { account: BETA, location_name: 'beta location 1' },
    ]);
    expect(await db.$queryRaw`SELECT account FROM location_staff_view GROUP BY account`).toEqual([
      { account: BETA },
    ]);
  });
});

describe('the change feed', () => {
  it('names the account of the rows that changed, one notification per account a statement touched', async () => {
    const listener = new pg.Client({ connectionString: database.url });
    const heard: unknown[] = [];
    await listener.connect();
    try {
      listener.on('notification', (message) => {
        if (message.channel === 'timetap_sync') heard.push(JSON.parse(message.payload ?? '{}'));
      });
      await listener.query('LISTEN timetap_sync');
      await upsertStaff(db, [{ id: 10, fullName: 'a', raw: { a: 1 } }], { account: ALPHA, runId: 7 });
      await upsertStaff(db, [{ id: 10, fullName: 'b', raw: { b: 1 } }], { account: BETA });
      await tombstoneEntityRows(db, 'staff', [10], { account: BETA });
      // A user's statement across both accounts: one notification for each.
      await db.$executeRaw`UPDATE staff SET full_name = full_name || '!'`;
      await listener.query('SELECT 1'); // pending notifications arrive before this answer
      expect(heard).toEqual([
        { account: ALPHA, table: 'staff', run_id: 7, ids: [10] },
        { account: BETA, table: 'staff', run_id: null, ids: [10] },
        { account: BETA, table: 'staff', run_id: null, ids: [10] },
        { account: ALPHA, table: 'staff', run_id: null, ids: [10] },
        { account: BETA, table: 'staff', run_id: null, ids: [10] },
      ]);
    } finally {
      await listener.end();
    }
  });
});

describe('the accounts migration', () => {
  it("makes a single-account mirror's existing rows the default account's", async () => {
    const empty = await createEmptyDatabase(inject('databaseUrl'));
    const dir = mkdtempSync(join(tmpdir(), 'timetap-accounts-'));
    const logger = pino({ level: 'silent' });
    const client = new pg.Client({ connectionString: empty.url });
    try {
      cpSync(defaultMigrationsDir(), dir, { recursive: true });
      rmSync(join(dir, '20261226000000_accounts'), { recursive: true });
      await migrate({ databaseUrl: empty.url, migrationsDir: dir, logger });
      await client.connect();
      await client.query(`
        INSERT INTO locations (id, name, time_zone, raw, content_hash) VALUES (1, 'Old', 'UTC', '{}', 'h');
        INSERT INTO staff (id, raw, content_hash) VALUES (10, '{}', 'h');
        INSERT INTO services (id, raw, content_hash) VALUES (20, '{}', 'h');
        INSERT INTO clients (id, raw, content_hash) VALUES (30, '{}', 'h');
        INSERT INTO location_staff (location_id, staff_id) VALUES (1, 10);
        INSERT INTO location_services (location_id, service_id) VALUES (1, 20);
        INSERT INTO staff_services (location_id, staff_id, service_id) VALUES (1, 10, 20);
        INSERT INTO appointments (id, location_id, local_start, raw, content_hash, read_at)
          VALUES (100, 1, '2026-02-02 09:00', '{}', 'h', now());
        INSERT INTO backfill_chunks (start_date, end_date, run_id, pages, records)
          VALUES ('2026-01-01', '2026-01-31', 1, 1, 1);
        INSERT INTO sync_runs (scope, trigger, status) VALUES ('full', 'test', 'succeeded');`);

      await migrate({ databaseUrl: empty.url, logger });
      const accounts: Record<string, string[]> = {};
      for (const table of [...TABLES, 'sync_runs']) {
        const { rows } = await client.query<{ account: string }>(`SELECT account FROM ${table}`);
        accounts[table] = rows.map((r) => r.account);
      }
      expect(accounts).toEqual({
        locations: ['default'],
        staff: ['default'],
        services: ['default'],
        clients: ['default'],
        appointments: ['default'],
        location_staff: ['default'],
        location_services: ['default'],
        staff_services: ['default'],
        appointment_history: ['default'],
        backfill_chunks: ['default'],
        sync_runs: ['default'],
      });
      const { rows: view } = await client.query(
        'SELECT account, appointment_id, location_name FROM appointments_view',
      );
      expect(view).toEqual([{ account: 'default', appointment_id: '100', location_name: 'Old' }]);
    } finally {
      await client.end().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      await empty.drop();
    }
  });
});
