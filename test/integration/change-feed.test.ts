/**
 * The change feed (prisma/migrations/*_change_feed): a real LISTEN connection hears one
 * notification per statement that changed a mirror table, with the changed ids (at most 1000, and
 * under Postgres's 8000-byte limit) or their count, and nothing for a sync that changed nothing.
 * A sync's writes name its run (the sync_runs row); a webhook's and any other write name none.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { DEFAULT_ACCOUNT } from '../../src/account.js';
import { today } from '../../src/dates.js';
import { type AppointmentRow, tombstoneAppointments, upsertAppointments } from '../../src/db/appointments.js';
import { upsertStaff } from '../../src/db/entities.js';
import { queryInRun } from '../../src/db/run-id.js';
import { Prisma, type PrismaClient } from '../../src/generated/prisma/client.js';
import { type Simulator, startSimulator } from '../../src/simulator/index.js';
import { refreshAppointment } from '../../src/sync/appointment-event.js';
import { runSync } from '../../src/sync/run-sync.js';
import { createTestDatabase } from '../helpers/database.js';
import { createTestSyncDeps } from '../helpers/sync.js';

interface Notice {
  account: string;
  table: string;
  run_id: number | null;
  ids?: number[];
  count?: number;
}

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: PrismaClient;
let listener: pg.Client;
let heard: Array<{ notice: Notice; bytes: number }> = [];
let sim: Simulator | undefined;

beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'));
  db = database.db;
  listener = new pg.Client({ connectionString: database.url });
  await listener.connect();
  listener.on('notification', (message) => {
    if (message.channel !== 'timetap_sync') return;
    const payload = message.payload ?? '';
    heard.push({ notice: JSON.parse(payload) as Notice, bytes: Buffer.byteLength(payload) });
  });
  await listener.query('LISTEN timetap_sync');
});
afterAll(async () => {
  await listener?.end();
  await database?.close();
});
beforeEach(async () => {
  await db.$executeRawUnsafe(
    'TRUNCATE locations, staff, services, location_staff, location_services, staff_services, clients, appointments, appointment_history, sync_runs',
  );
  await drain();
  heard = [];
});
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/**
 * Everything committed so far has been heard: the server sends a listener its pending
 * notifications before it answers the listener's next query.
 */
async function drain(): Promise<Notice[]> {
  await listener.query('SELECT 1');
  return heard.map((h) => h.notice);
}

const readAt = new Date('2026-01-10T10:00:00Z');
const clientData = { mode: 'full' as const, hashKey: 'key' };

const env = { APPOINTMENTS_PAST_DAYS: '3', APPOINTMENTS_FUTURE_DAYS: '3' };

/** A simulated account: 2 locations, an appointment per staff member and day. */
async function simulate(seed: number): Promise<Simulator> {
  sim = await startSimulator({ seed, locations: 2, today: today(), appointments: { perStaffPerDay: 1 } });
  return sim;
}

/** A full sync that succeeds; its run id, which is the sync_runs row that it recorded last. */
async function fullSync(simulator: Simulator): Promise<number> {
  const summary = await runSync(createTestSyncDeps(simulator, db, { env }), { scope: 'full' });
  expect(summary.status, summary.reasons.join('\n')).toBe('succeeded');
  const [row] = await db.$queryRaw<Array<{ id: bigint }>>`SELECT max(id) AS id FROM sync_runs`;
  expect(Number(row?.id)).toBe(summary.runId);
  return summary.runId;
}

function appointments(ids: readonly number[], status = 'OPEN'): AppointmentRow[] {
  return ids.map((id) => ({ id, status, startDate: '2026-02-02', raw: { calendarId: id, status } }));
}

describe('the change feed', () => {
  it('a sync that changes rows notifies per table; an unchanged sync sends nothing', async () => {
    const simulator = await simulate(7);
    const firstRun = await fullSync(simulator);
    const notices = await drain();
    const tables = new Set(notices.map((n) => n.table));
    for (const table of ['locations', 'staff', 'services', 'appointments', 'location_staff'])
      expect(tables, table).toContain(table);
    for (const n of notices) expect(n).toMatchObject({ account: 'default', run_id: firstRun });
    // Every appointment mirrored is named by some notification of its table.
    const named = new Set(notices.filter((n) => n.table === 'appointments').flatMap((n) => n.ids ?? []));
    const mirrored = await db.$queryRaw<Array<{ id: bigint }>>`SELECT id FROM appointments`;
    expect(mirrored.length).toBeGreaterThan(0);
    expect([...named].sort((a, b) => a - b)).toEqual(mirrored.map((r) => Number(r.id)).sort((a, b) => a - b));

    heard = [];
    await fullSync(simulator);
    expect(await drain()).toEqual([]);

    const [changed] = simulator.data.findAppointments({ from: today(), to: today() });
    if (!changed) throw new Error('the simulator should have an appointment today');
    simulator.data.cancelAppointment(changed.calendarId);
    const thirdRun = await fullSync(simulator);
    expect(await drain()).toEqual([
      { account: 'default', table: 'appointments', run_id: thirdRun, ids: [changed.calendarId] },
    ]);
  });

  it("a sync's tombstones name its run; a webhook's writes name none", async () => {
    const simulator = await simulate(11);
    await fullSync(simulator);
    const [deleted, cancelled, gone] = simulator.data.findAppointments({ from: today(), to: today() });
    if (!deleted || !cancelled || !gone) throw new Error('the simulator should have 3 appointments today');
    const staff = await db.$queryRaw<Array<{ id: bigint }>>`
      SELECT id FROM staff WHERE id <> ALL(${[deleted, cancelled, gone].map((a) => a.staff.professionalId)}::bigint[])
      ORDER BY id LIMIT 1`;
    const removedStaff = Number(staff[0]?.id);
    expect(removedStaff).toBeGreaterThan(0);

    simulator.data.deleteAppointment(deleted.calendarId);
    simulator.data.remove('staff', removedStaff);
    await drain();
    heard = [];
    const secondRun = await fullSync(simulator);
    const notices = await drain();
    // The entity's tombstone, the appointment's (confirmed at its own URL), the links'.
    expect(notices).toContainEqual(
      expect.objectContaining({
        table: 'staff',
        run_id: secondRun,
        ids: expect.arrayContaining([removedStaff]),
      }),
    );
    expect(notices).toContainEqual({
      account: 'default',
      table: 'appointments',
      run_id: secondRun,
      ids: [deleted.calendarId],
    });
    expect(notices.map((n) => n.table)).toContain('location_staff');
    for (const n of notices) expect(n).toMatchObject({ account: 'default', run_id: secondRun });
    const tombstoned = await db.$queryRaw<Array<{ n: number }>>`
      SELECT ((SELECT count(*) FROM staff WHERE id = ${removedStaff}::bigint AND deleted_at IS NOT NULL)
        + (SELECT count(*) FROM appointments WHERE id = ${deleted.calendarId}::bigint AND deleted_at IS NOT NULL))::int AS n`;
    expect(tombstoned[0]?.n).toBe(2);

    // A webhook's read, stored and tombstoned, is no run's.
    heard = [];
    const webhook = createTestSyncDeps(simulator, db, { env });
    simulator.data.cancelAppointment(cancelled.calendarId);
    expect((await refreshAppointment(webhook, cancelled.calendarId)).outcome).toBe('stored');
    simulator.data.deleteAppointment(gone.calendarId);
    expect((await refreshAppointment(webhook, gone.calendarId)).outcome).toBe('tombstoned');
    expect(await drain()).toEqual([
      { account: 'default', table: 'appointments', run_id: null, ids: [cancelled.calendarId] },
      { account: 'default', table: 'appointments', run_id: null, ids: [gone.calendarId] },
    ]);
  });

  it('a run id holds for its own write only, through arrays and through the staging table', async () => {
    // A small batch (arrays, in a transaction of its own), then one write outside any run.
    await upsertAppointments(db, appointments([1, 2]), {
      account: DEFAULT_ACCOUNT,
      readAt,
      clientData,
      runId: 41,
    });
    await upsertAppointments(db, appointments([3]), { account: DEFAULT_ACCOUNT, readAt, clientData });
    // A batch past the staging threshold (COPY on a connection of its own), a tombstone, an entity.
    const many = Array.from({ length: 600 }, (_, i) => 100 + i);
    await upsertAppointments(db, appointments(many), {
      account: DEFAULT_ACCOUNT,
      readAt,
      clientData,
      runId: 42,
    });
    await tombstoneAppointments(db, [1], { account: DEFAULT_ACCOUNT, readAt, runId: 43 });
    await upsertStaff(db, [{ id: 9, raw: { professionalId: 9 } }], { account: DEFAULT_ACCOUNT, runId: 44 });
    await upsertStaff(db, [{ id: 10, raw: { professionalId: 10 } }], { account: DEFAULT_ACCOUNT });
    expect(await drain()).toEqual([
      { account: 'default', table: 'appointments', run_id: 41, ids: [1, 2] },
      { account: 'default', table: 'appointments', run_id: null, ids: [3] },
      { account: 'default', table: 'appointments', run_id: 42, ids: many },
      { account: 'default', table: 'appointments', run_id: 43, ids: [1] },
      { account: 'default', table: 'staff', run_id: 44, ids: [9] },
      { account: 'default', table: 'staff', run_id: null, ids: [10] },
    ]);
  });

  it('names up to 1000 ids, counts more, and never passes 8000 bytes', async () => {
    await upsertAppointments(db, appointments([3, 1, 2]), { account: DEFAULT_ACCOUNT, readAt, clientData });
    expect(await drain()).toEqual([
      { account: 'default', table: 'appointments', run_id: null, ids: [1, 2, 3] },
    ]);

    heard = [];
    const many = Array.from({ length: 5000 }, (_, i) => 100 + i);
    await upsertAppointments(db, appointments(many), { account: DEFAULT_ACCOUNT, readAt, clientData });
    expect(await drain()).toEqual([{ account: 'default', table: 'appointments', run_id: null, count: 5000 }]);

    // 1000 ids of 13 digits do not fit in 8000 bytes: counted instead.
    heard = [];
    const long = Array.from({ length: 1000 }, (_, i) => 1_000_000_000_000 + i);
    await upsertAppointments(db, appointments(long), { account: DEFAULT_ACCOUNT, readAt, clientData });
    expect(await drain()).toEqual([{ account: 'default', table: 'appointments', run_id: null, count: 1000 }]);

    // 1000 short ids fit: named.
    heard = [];
    const short = Array.from({ length: 1000 }, (_, i) => 10_000 + i);
    await upsertAppointments(db, appointments(short), { account: DEFAULT_ACCOUNT, readAt, clientData });
    expect(await drain()).toEqual([{ account: 'default', table: 'appointments', run_id: null, ids: short }]);
    expect(Math.max(...heard.map((h) => h.bytes))).toBeLessThan(8000);

    // Rewriting the same content changes nothing and says nothing.
    heard = [];
    await upsertAppointments(db, appointments(many), {
      account: DEFAULT_ACCOUNT,
      readAt: new Date(readAt.getTime() + 1000),
      clientData,
    });
    expect(await drain()).toEqual([]);
  });

  it("a run's write may take as long as any statement, not Prisma's 5 s for a transaction", async () => {
    const rows = await queryInRun<{ run: string }>(
      db,
      45,
      Prisma.sql`SELECT current_setting('timetap_sync.run_id') AS run FROM pg_sleep(5.5)`,
    );
    expect(rows).toEqual([{ run: '45' }]);
  }, 20_000);

  it('sends nothing for a transaction that rolls back', async () => {
    await expect(
      db.$transaction(async (tx) => {
        await tx.$executeRaw`INSERT INTO locations (id, raw, content_hash) VALUES (1, '{}', 'h')`;
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await drain()).toEqual([]);
  });
});
