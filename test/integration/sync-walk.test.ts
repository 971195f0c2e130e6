/**
 * The walk, in process, against the simulator over real HTTP and a real Postgres: a full sync
 * mirrors TimeTap exactly, a second writes nothing, changes arrive, failures touch nothing.
 */
import { describe, expect, it } from 'vitest';
import { UnknownLocationError } from '../../src/errors.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import type { Simulator } from '../../src/simulator/index.js';
import { runSync } from '../../src/sync/run-sync.js';
import { activeRows, duplicateKeys, expectedMirror, readMirror, rowVersions } from '../helpers/mirror.js';
import { captureLog, createTestSyncDeps } from '../helpers/sync.js';
import { useSyncFixture, WALK_TABLES } from '../helpers/use-sync-fixture.js';

let sim: Simulator;
let db: PrismaClient;
const log = captureLog();

useSyncFixture(
  { simulator: { seed: 11, locations: 6 }, simulatorPer: 'test', tables: WALK_TABLES },
  (fixture) => ({ sim, db } = fixture),
);

const deps = () => createTestSyncDeps(sim, db, { log });

describe('full sync', () => {
  it('mirrors the simulator exactly, raw objects included, with no row doubled', async () => {
    const summary = await runSync(deps(), { scope: 'full' });
    expect(summary.status).toBe('succeeded');
    expect(await readMirror(db)).toEqual(expectedMirror(sim.data.snapshot()));
    expect(Object.values(await duplicateKeys(db)).every((n) => n === 0)).toBe(true);
    expect(summary.stats.staff.inserted).toBe(sim.data.staff.size);
    expect(summary.apiCalls).toBeGreaterThan(sim.data.locations.size * 2);
  });

  it('writes nothing when nothing changed', async () => {
    await runSync(deps(), { scope: 'full' });
    const before = await rowVersions(db);
    const second = await runSync(deps(), { scope: 'full' });
    expect(second.status).toBe('succeeded');
    expect(await rowVersions(db)).toEqual(before);
    for (const counts of Object.values(second.stats)) {
      expect(counts.inserted + counts.updated + counts.deleted + counts.revived).toBe(0);
    }
  });

  it('keeps the account-wide copies when a location lists the documented shape only, and rewrites nothing', async () => {
    sim.setDocumentedLocationLists(true);
    const first = await runSync(deps(), { scope: 'full' });
    expect(first.status).toBe('succeeded');
    // The per-location copies carry no names; the rows keep the account-wide ones, whole.
    expect(await readMirror(db)).toEqual(expectedMirror(sim.data.snapshot()));
    expect(first.stats.staff.updated + first.stats.services.updated).toBe(0);
    const before = await rowVersions(db);
    const second = await runSync(deps(), { scope: 'full' });
    expect(second.status).toBe('succeeded');
    expect(await rowVersions(db)).toEqual(before);
  });

  it('counts rows, not the copies seen: each row once, inserted by the first sync, unchanged by the second', async () => {
    await db.$executeRawUnsafe('TRUNCATE clients, appointments');
    const first = await runSync(deps(), { scope: 'full' });
    const second = await runSync(deps(), { scope: 'full' });
    const rows = await activeRows(db);
    for (const [table, count] of Object.entries(rows)) {
      expect(count, table).toBeGreaterThan(0);
      expect(first.stats[table as keyof typeof first.stats], table).toMatchObject({
        inserted: count,
        unchanged: 0,
      });
      expect(second.stats[table as keyof typeof second.stats], table).toMatchObject({
        inserted: 0,
        unchanged: count,
      });
    }
  });

  it('brings added, changed and removed objects and links across, and revives what comes back', async () => {
    await runSync(deps(), { scope: 'full' });
    const [firstLocation] = [...sim.data.locations.keys()];
    const [staffA, staffB] = [...(sim.data.locationStaff.get(firstLocation as number) ?? [])];
    const [serviceA] = [...sim.data.services.keys()];
    sim.data.update('staff', staffA as number, {
      email: 'changed@example.com',
      brandNewField: { nested: [1, 2] },
    });
    sim.data.remove('service', serviceA as number);
    sim.data.unlink('staff', firstLocation as number, staffB as number);
    const added = sim.data.addLocation({ locationName: 'New place' });
    sim.data.link('staff', added, staffB as number);

    const second = await runSync(deps(), { scope: 'full' });
    expect(second.status).toBe('succeeded');
    expect(await readMirror(db)).toEqual(expectedMirror(sim.data.snapshot()));
    const [row] = await db.$queryRaw<Array<{ deleted_at: Date | null }>>`
      SELECT deleted_at FROM services WHERE id = ${serviceA}`;
    expect(row?.deleted_at).toBeInstanceOf(Date);

    sim.data.link('staff', firstLocation as number, staffB as number);
    const third = await runSync(deps(), { scope: 'full' });
    expect(third.stats.location_staff.revived).toBe(1);
    expect(await readMirror(db)).toEqual(expectedMirror(sim.data.snapshot()));
  });

  it('leaves a failing location untouched, tombstones elsewhere, and finishes partial', async () => {
    await runSync(deps(), { scope: 'full' });
    const [failing, other] = [...sim.data.locations.keys()] as [number, number];
    const victim = [...(sim.data.locationStaff.get(failing) ?? [])][0] as number;
    const removedElsewhere = [...(sim.data.locationStaff.get(other) ?? [])].find(
      (id) => !sim.data.locationStaff.get(failing)?.has(id),
    ) as number;
    sim.data.unlink('staff', failing, victim);
    sim.data.unlink('staff', other, removedElsewhere);
    sim.inject({
      path: '/services',
      query: { locationId: String(failing) },
      fault: { type: 'status', status: 500 },
    });

    const summary = await runSync(deps(), { scope: 'full' });
    expect(summary.status).toBe('partial');
    expect(summary.reasons.join('\n')).toContain(`location ${failing}`);
    const links = await db.$queryRaw<
      Array<{ location_id: bigint; staff_id: bigint; deleted_at: Date | null }>
    >`
      SELECT location_id, staff_id, deleted_at FROM location_staff
       WHERE (location_id, staff_id) IN ((${failing}, ${victim}), (${other}, ${removedElsewhere}))`;
    const byLocation = new Map(links.map((l) => [Number(l.location_id), l.deleted_at]));
    expect(byLocation.get(failing)).toBeNull();
    expect(byLocation.get(other)).toBeInstanceOf(Date);

    sim.clearFaults();
    const clean = await runSync(deps(), { scope: 'full' });
    expect(clean.status).toBe('succeeded');
    expect(await readMirror(db)).toEqual(expectedMirror(sim.data.snapshot()));
  });

  it('refuses a mass delete and an empty account-wide list, marking nothing', async () => {
    await runSync(deps(), { scope: 'full' });
    const ids = [...sim.data.staff.keys()];
    for (const id of ids.slice(0, Math.ceil(ids.length * 0.7))) sim.data.remove('staff', id);
    const summary = await runSync(deps(), { scope: 'full' });
    expect(summary.status).toBe('partial');
    expect(summary.reasons.join('\n')).toMatch(/staff/);
    const [row] = await db.$queryRaw<
      Array<{ n: bigint }>
    >`SELECT count(*) AS n FROM staff WHERE deleted_at IS NOT NULL`;
    expect(Number(row?.n)).toBe(0);
  });

  it('guards links account-wide in a full sync: a location may lose its only staff member', async () => {
    const [small] = [...sim.data.locations.keys()] as [number];
    const [keep, ...others] = [...(sim.data.locationStaff.get(small) ?? [])] as [number, ...number[]];
    for (const id of others) sim.data.unlink('staff', small, id);
    await runSync(deps(), { scope: 'full' });
    sim.data.unlink('staff', small, keep);

    const summary = await runSync(deps(), { scope: 'full' });
    expect(summary.status).toBe('succeeded');
    expect(await readMirror(db)).toEqual(expectedMirror(sim.data.snapshot()));
  });

  it('refuses link deletions past the account-wide share, location by location, marking nothing more', async () => {
    await runSync(deps(), { scope: 'full' });
    const locations = [...sim.data.locations.keys()];
    for (const locationId of locations) {
      for (const staffId of [...(sim.data.locationStaff.get(locationId) ?? [])])
        sim.data.unlink('staff', locationId, staffId);
    }
    const summary = await runSync(deps(), { scope: 'full' });
    expect(summary.status).toBe('partial');
    expect(summary.reasons.join('\n')).toMatch(/location_staff deletions/);
    const [row] = await db.$queryRaw<Array<{ deleted: bigint; total: bigint }>>`
      SELECT count(*) FILTER (WHERE deleted_at IS NOT NULL) AS deleted, count(*) AS total FROM location_staff`;
    expect(Number(row?.deleted)).toBeGreaterThan(0);
    expect(Number(row?.deleted)).toBeLessThanOrEqual(Number(row?.total) / 2);
  });

  it('relies on the per-location lists where the API refuses the account-wide staff list', async () => {
    await runSync(deps(), { scope: 'full' });
    const [locationId] = [...sim.data.locations.keys()] as [number];
    const removed = [...(sim.data.locationStaff.get(locationId) ?? [])][0] as number;
    sim.data.remove('staff', removed);
    // The account-wide GET /staff is the first /staff call of a full sync.
    sim.inject({ path: '/staff', times: 1, fault: { type: 'status', status: 404 } });
    const summary = await runSync(deps(), { scope: 'full' });
    expect(summary.status).toBe('succeeded');
    const [row] = await db.$queryRaw<Array<{ deleted_at: Date | null }>>`
      SELECT deleted_at FROM staff WHERE id = ${removed}`;
    expect(row?.deleted_at).toBeInstanceOf(Date);
  });

  it('records one sync_runs row per run, never left running', async () => {
    await runSync(deps(), { scope: 'full' });
    sim.inject({ path: '/locations', fault: { type: 'status', status: 400 } });
    await expect(runSync(deps(), { scope: 'full' })).rejects.toThrow(/400/);
    const runs = await db.$queryRaw<Array<{ status: string; error: string | null }>>`
      SELECT status, error FROM sync_runs ORDER BY id`;
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'failed']);
    expect(runs[1]?.error).toMatch(/400/);
  });
});

describe('location sync', () => {
  it('touches only that location, its staff and services', async () => {
    await runSync(deps(), { scope: 'full' });
    const [target, other] = [...sim.data.locations.keys()] as [number, number];
    const targetStaff = [...(sim.data.locationStaff.get(target) ?? [])][0] as number;
    const otherOnly = [...(sim.data.locationStaff.get(other) ?? [])].find(
      (id) => !sim.data.locationStaff.get(target)?.has(id),
    ) as number;
    sim.data.unlink('staff', target, targetStaff);
    sim.data.unlink('staff', other, otherOnly);
    sim.data.update('location', target, { locationName: 'Renamed' });
    sim.resetCalls();

    const summary = await runSync(deps(), { scope: 'location', locationId: target });
    expect(summary.status).toBe('succeeded');
    const rows = await db.$queryRaw<Array<{ location_id: bigint; deleted: boolean }>>`
      SELECT location_id, deleted_at IS NOT NULL AS deleted FROM location_staff
       WHERE (location_id, staff_id) IN ((${target}, ${targetStaff}), (${other}, ${otherOnly}))`;
    expect(Object.fromEntries(rows.map((r) => [Number(r.location_id), r.deleted]))).toEqual({
      [target]: true,
      [other]: false,
    });
    const [location] = await db.$queryRaw<
      Array<{ name: string }>
    >`SELECT name FROM locations WHERE id = ${target}`;
    expect(location?.name).toBe('Renamed');
    const calls = sim.calls.filter((c) => c.query.locationId !== undefined);
    expect(calls.every((c) => c.query.locationId === String(target))).toBe(true);
  });

  it('refuses an id that TimeTap does not know: a clear error, and nothing written', async () => {
    await runSync(deps(), { scope: 'full' });
    const [gone] = [...sim.data.locations.keys()] as [number];
    sim.data.remove('location', gone);
    const before = await rowVersions(db);
    const [{ runs } = { runs: 0n }] = await db.$queryRaw<
      Array<{ runs: bigint }>
    >`SELECT count(*) AS runs FROM sync_runs`;
    for (const id of [gone, 987_654]) {
      const error = await runSync(deps(), { scope: 'location', locationId: id }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnknownLocationError);
      expect((error as Error).message).toBe(
        `TimeTap has no location ${id} (GET /locations/${id} answered 404); nothing was written`,
      );
    }
    expect(await rowVersions(db)).toEqual(before);
    const [after] = await db.$queryRaw<Array<{ runs: bigint }>>`SELECT count(*) AS runs FROM sync_runs`;
    expect(after?.runs).toBe(runs);
  });
});

describe('secrets', () => {
  it('never appear in the captured logs or in sync_runs', async () => {
    const d = deps();
    await runSync(d, { scope: 'full' });
    const runs = JSON.stringify(await db.$queryRaw`SELECT * FROM sync_runs`, (_k, v) =>
      typeof v === 'bigint' ? String(v) : v,
    );
    const all = log.lines.join('') + runs;
    expect(log.lines.length).toBeGreaterThan(0);
    expect(all).not.toContain(sim.credentials.apiKey);
    expect(all).not.toContain(sim.credentials.privateKey);
    expect(all).not.toMatch(/st:api:api:[0-9a-f]{32}/);
  });
});
