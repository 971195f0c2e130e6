/**
 * Appointments and clients through a full sync, in process, against the simulator over HTTP: the
 * rolling window mirrored row by row, nothing rewritten when nothing changed, absence confirmed at
 * each appointment's own URL (rescheduled, cancelled, deleted), pages that shift during the walk,
 * and the client-data policy leaving no dropped field anywhere in the database.
 */
import { describe, expect, it } from 'vitest';
import { addDays, today } from '../../src/dates.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import type { Simulator } from '../../src/simulator/index.js';
import { runSync } from '../../src/sync/run-sync.js';
import { rowVersions } from '../helpers/mirror.js';
import { createTestSyncDeps } from '../helpers/sync.js';
import { useSyncFixture, WALK_TABLES } from '../helpers/use-sync-fixture.js';

let sim: Simulator;
let db: PrismaClient;
const TODAY = today();
const WINDOW = { APPOINTMENTS_PAST_DAYS: '6', APPOINTMENTS_FUTURE_DAYS: '6', APPOINTMENTS_CHUNK_DAYS: '4' };
const window = { from: addDays(TODAY, -6), to: addDays(TODAY, 6) };

useSyncFixture(
  {
    simulator: { seed: 21, locations: 3, today: TODAY, appointments: { perStaffPerDay: 1 } },
    simulatorPer: 'test',
    tables: [...WALK_TABLES, 'clients', 'appointments'],
  },
  (fixture) => ({ sim, db } = fixture),
);

const sync = (env: Record<string, string> = {}) =>
  runSync(createTestSyncDeps(sim, db, { env: { ...WINDOW, ...env } }), { scope: 'full' });

async function mirrored(): Promise<Map<number, { status: string; start_date: string; deleted: boolean }>> {
  const rows = await db.$queryRaw<
    Array<{ id: bigint; status: string; start_date: string; deleted: boolean }>
  >`
    SELECT id, status, start_date, deleted_at IS NOT NULL AS deleted FROM appointments`;
  return new Map(
    rows.map((r) => [Number(r.id), { status: r.status, start_date: r.start_date, deleted: r.deleted }]),
  );
}
const inWindow = () => sim.data.findAppointments(window);

describe('appointments and clients in a full sync', () => {
  it('mirrors the window row by row and every client; a second sync writes nothing', async () => {
    const first = await sync();
    expect(first.status, first.reasons.join('\n')).toBe('succeeded');
    const rows = await mirrored();
    const truth = inWindow();
    expect(truth.length).toBeGreaterThan(20);
    expect([...rows.keys()].sort((a, b) => a - b)).toEqual(
      truth.map((a) => a.calendarId).sort((a, b) => a - b),
    );
    for (const a of truth)
      expect(rows.get(a.calendarId)).toMatchObject({ status: a.status, start_date: a.startDate });
    const [{ clients } = { clients: 0n }] = await db.$queryRaw<Array<{ clients: bigint }>>`
      SELECT count(*) AS clients FROM clients WHERE deleted_at IS NULL`;
    expect(Number(clients)).toBe(sim.data.clients.size);
    // Every chunk says what it read.
    const [run] = await db.$queryRaw<Array<{ chunks: Array<{ complete: boolean; records: number }> }>>`
      SELECT stats->'appointment_chunks' AS chunks FROM sync_runs ORDER BY id DESC LIMIT 1`;
    expect(run?.chunks).toHaveLength(4);
    expect(run?.chunks.every((c) => c.complete)).toBe(true);
    expect(run?.chunks.reduce((n, c) => n + c.records, 0)).toBe(truth.length);

    const before = await rowVersions(db);
    expect((await sync()).status).toBe('succeeded');
    expect(await rowVersions(db)).toEqual(before);
  });

  it('confirms what a chunk did not see: rescheduled is moved, cancelled kept as cancelled, deleted tombstoned', async () => {
    await sync();
    const [moved, cancelled, deleted] = inWindow().map((a) => a.calendarId) as [number, number, number];
    const farAway = addDays(TODAY, 200);
    sim.data.rescheduleAppointment(moved, farAway);
    sim.data.cancelAppointment(cancelled);
    sim.data.deleteAppointment(deleted);
    sim.resetCalls();
    const summary = await sync();
    expect(summary.status, summary.reasons.join('\n')).toBe('succeeded');
    const rows = await mirrored();
    expect(rows.get(moved)).toMatchObject({ start_date: farAway, deleted: false });
    expect(rows.get(cancelled)).toMatchObject({ status: 'CANCELLED', deleted: false });
    expect(rows.get(deleted)).toMatchObject({ deleted: true });
    // Only the two the chunks no longer showed were asked about at their own URL.
    const asked = sim.calls.filter((c) => /^\/appointments\/\d+$/.test(c.path)).map((c) => c.path);
    expect(asked.sort()).toEqual([`/appointments/${moved}`, `/appointments/${deleted}`].sort());
    expect(summary.stats.appointments.deleted).toBe(1);
  });

  it('pages that shift during the walk lose nothing and tombstone nothing; a calm sync converges', async () => {
    await sync();
    const known = await mirrored();
    sim.setPageChurn({ bookEvery: 1, deleteEvery: 2 });
    const churned = await sync({ APPOINTMENTS_PAGE_SIZE: '5' });
    sim.setPageChurn(undefined);
    const after = await mirrored();
    const deletedByChurn = new Set(
      sim
        .churnEvents()
        .filter((e) => e.action === 'delete')
        .map((e) => e.calendarId),
    );
    for (const [id, row] of after) {
      // Nothing was marked deleted unless TimeTap really deleted it.
      if (row.deleted) expect(deletedByChurn.has(id), `appointment ${id}`).toBe(true);
    }
    expect(churned.status).toMatch(/succeeded|partial/);
    const calm = await sync();
    expect(calm.status, calm.reasons.join('\n')).toBe('succeeded');
    const final = await mirrored();
    const truth = inWindow().map((a) => a.calendarId);
    for (const id of truth) expect(final.get(id)?.deleted, `appointment ${id}`).toBe(false);
    expect(known.size).toBeGreaterThan(0);
  });
});

describe('the client-data policy', () => {
  /** Every text and jsonb value of every table of the mirror, as one text to search. */
  async function everything(): Promise<string> {
    const tables = ['clients', 'appointments', 'locations', 'staff', 'services', 'sync_runs'];
    const parts: string[] = [];
    for (const table of tables) {
      const rows = await db.$queryRawUnsafe<Array<{ row: string }>>(
        `SELECT row_to_json(t)::text AS row FROM ${table} t`,
      );
      parts.push(...rows.map((r) => r.row));
    }
    return parts.join('\n');
  }
  // Values only clients carry (staff share the simulator's pools of first and last names, so a
  // name alone could be a staff member's): e-mail addresses, phone numbers, notes, full names.
  const personal = () =>
    [...sim.data.clients.values()].flatMap((c) =>
      [
        c.emailAddress,
        c.cellPhone,
        c.notes,
        c.firstName && c.lastName ? `${c.firstName} ${c.lastName}` : undefined,
      ]
        .map((v) => (typeof v === 'string' ? v.replaceAll('\u0000', '') : v))
        .filter((v): v is string => typeof v === 'string' && v.length > 4),
    );

  it('pseudonymous: after a full sync, then after switching from full, no name, contact or note is left anywhere', async () => {
    await sync(); // full first: the switch must scrub what is stored
    const values = personal();
    expect(values.length).toBeGreaterThan(10);
    const stored = await everything();
    expect(values.some((v) => stored.includes(JSON.stringify(v).slice(1, -1)))).toBe(true); // the search can fail
    const summary = await sync({ MIRROR_CLIENT_DATA: 'pseudonymous' });
    expect(summary.status, summary.reasons.join('\n')).toBe('succeeded');
    const scrubbed = await everything();
    for (const value of values) expect(scrubbed).not.toContain(JSON.stringify(value).slice(1, -1));
    const [hashed] = await db.$queryRaw<
      Array<{ n: bigint }>
    >`SELECT count(*) AS n FROM clients WHERE email_hash IS NOT NULL`;
    expect(Number(hashed?.n)).toBeGreaterThan(0);
    const before = await rowVersions(db);
    await sync({ MIRROR_CLIENT_DATA: 'pseudonymous' });
    expect(await rowVersions(db)).toEqual(before);
  });

  it('none: clients are not read, and appointments keep only the client id', async () => {
    sim.resetCalls();
    const summary = await sync({ MIRROR_CLIENT_DATA: 'none' });
    expect(summary.status, summary.reasons.join('\n')).toBe('succeeded');
    expect(sim.calls.filter((c) => c.path.startsWith('/clients'))).toEqual([]);
    const stored = await everything();
    for (const value of personal()) expect(stored).not.toContain(JSON.stringify(value).slice(1, -1));
    const [row] = await db.$queryRaw<Array<{ client: Record<string, unknown> }>>`
      SELECT raw->'client' AS client FROM appointments WHERE raw ? 'client' LIMIT 1`;
    expect(Object.keys(row?.client ?? {})).toEqual(['clientId']);
  });
});
