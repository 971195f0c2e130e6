/**
 * Never trust absence alone: a 404 on a list is confirmed through the object's own URL, an object
 * a list omits is confirmed before it is tombstoned (kept as inactive if it still answers), a
 * location the location list shows is never tombstoned, and the mass-delete guard measures against
 * a baseline that repeated bad answers cannot erode. In process, against the simulator over HTTP.
 */
import { describe, expect, it } from 'vitest';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import type { Simulator } from '../../src/simulator/index.js';
import { runSync } from '../../src/sync/run-sync.js';
import { expectedMirror, readMirror, rowVersions } from '../helpers/mirror.js';
import { createTestSyncDeps } from '../helpers/sync.js';
import { useSyncFixture, WALK_TABLES } from '../helpers/use-sync-fixture.js';

let sim: Simulator;
let db: PrismaClient;

useSyncFixture(
  { simulator: { seed: 11, locations: 6 }, simulatorPer: 'test', tables: WALK_TABLES },
  (fixture) => ({ sim, db } = fixture),
);

const sync = () => runSync(createTestSyncDeps(sim, db), { scope: 'full' });
const locationIds = () => [...sim.data.locations.keys()];
const ownUrlCalls = (kind: string) => sim.calls.filter((c) => new RegExp(`^/${kind}/\\d+$`).test(c.path));

async function count(sql: string): Promise<number> {
  const [row] = await db.$queryRawUnsafe<Array<{ n: bigint }>>(sql);
  return Number(row?.n ?? 0);
}
const activeLinks = () =>
  count(
    `SELECT (SELECT count(*) FROM location_staff WHERE deleted_at IS NULL)
          + (SELECT count(*) FROM location_services WHERE deleted_at IS NULL)
          + (SELECT count(*) FROM staff_services WHERE deleted_at IS NULL) AS n`,
  );

/** Every list of these locations answers an empty array, as a misbehaving API might. */
function emptyListsOf(ids: number[]): void {
  for (const id of ids) {
    for (const path of ['/staff', '/services']) {
      sim.inject({
        path,
        query: { locationId: String(id) },
        fault: { type: 'status', status: 200, body: '[]' },
      });
    }
  }
}

describe('a 404 on a list', () => {
  it('is an empty list when the location answers at its own URL; two syncs, the second writes nothing', async () => {
    const [emptied] = locationIds() as [number];
    for (const staffId of [...(sim.data.locationStaff.get(emptied) ?? [])])
      sim.data.unlink('staff', emptied, staffId);
    for (const serviceId of [...(sim.data.locationServices.get(emptied) ?? [])])
      sim.data.unlink('service', emptied, serviceId);

    const first = await sync();
    expect(first.status).toBe('succeeded');
    expect(sim.calls.filter((c) => c.query.locationId === String(emptied) && c.status === 404)).toHaveLength(
      2,
    );
    expect(ownUrlCalls('locations').map((c) => c.path)).toEqual([`/locations/${emptied}`]);
    expect(await readMirror(db)).toEqual(expectedMirror(sim.data.snapshot()));

    const before = await rowVersions(db);
    const second = await sync();
    expect(second.status).toBe('succeeded');
    expect(await rowVersions(db)).toEqual(before);
  });

  it('on every location: no location is tombstoned, and the links never drop below the guard, run after run', async () => {
    await sync();
    const links = await activeLinks();
    for (const id of locationIds()) {
      for (const path of ['/staff', '/services'])
        sim.inject({ path, query: { locationId: String(id) }, fault: { type: 'status', status: 404 } });
    }
    // The run's link budget (the guard's share of the baseline) is drawn location by location
    // as each walk completes; once it is spent every further deletion is refused, this run and
    // every later one, since a refused run never lowers the baseline.
    let afterFirst: number | undefined;
    for (let run = 0; run < 3; run++) {
      const summary = await sync();
      expect(summary.status).toBe('partial');
      expect(summary.reasons.join('\n')).toMatch(/would bring this sync's \w+ deletions/);
      expect(await count('SELECT count(*) AS n FROM locations WHERE deleted_at IS NULL')).toBe(6);
      const active = await activeLinks();
      expect(active).toBeGreaterThanOrEqual(links / 2);
      afterFirst ??= active;
      expect(active).toBe(afterFirst);
    }
  });

  it('on a location whose own URL answers 404 too, while the location list shows it: untouched, partial', async () => {
    await sync();
    const [contradicted] = locationIds() as [number];
    sim.inject({ path: `/locations/${contradicted}`, fault: { type: 'status', status: 404 } });
    sim.inject({
      path: '/staff',
      query: { locationId: String(contradicted) },
      fault: { type: 'status', status: 404 },
    });
    const before = await rowVersions(db);
    const summary = await sync();
    expect(summary.status).toBe('partial');
    expect(summary.reasons.join('\n')).toMatch(
      new RegExp(`location ${contradicted}: .*a list of the location answered 404`),
    );
    expect(await rowVersions(db)).toEqual(before);
  });
});

describe('the mass-delete guard', () => {
  it('measures against a baseline that an API emptying lists run after run cannot erode', async () => {
    await sync();
    const baseline = await activeLinks();
    const ids = locationIds();
    // A third of the locations answer empty lists: within the ratio (0.5), so that run succeeds.
    emptyListsOf(ids.slice(0, 2));
    expect((await sync()).status).toBe('succeeded');
    expect(await activeLinks()).toBe(Math.round((baseline * 2) / 3));
    // Then two thirds. Measured against what is left each time, another half of the rest would
    // go every run; measured against the baseline, the mirror never drops below half of it.
    emptyListsOf(ids.slice(2, 4));
    for (let run = 0; run < 3; run++) {
      const summary = await sync();
      expect(summary.status).toBe('partial');
      expect(await activeLinks()).toBeGreaterThanOrEqual(baseline / 2);
      // What the guard held back is counted, not only said in the reasons.
      const held = ['location_staff', 'location_services', 'staff_services'] as const;
      expect(held.reduce((sum, table) => sum + summary.stats[table].held, 0)).toBeGreaterThan(0);
    }
  });
});

describe('an object that a list no longer shows', () => {
  it('is confirmed at its own URL: kept as inactive when it answers, tombstoned on 404, revived when listed again', async () => {
    await sync();
    const staffIds = [...sim.data.staff.keys()];
    const [hidden, removed] = staffIds.slice(-2) as [number, number];
    const [hiddenLocation] = locationIds().slice(-1) as [number];
    sim.data.hide('staff', hidden);
    sim.data.remove('staff', removed);
    sim.data.hide('location', hiddenLocation);
    sim.resetCalls();

    const summary = await sync();
    expect(summary.status).toBe('succeeded');
    expect(ownUrlCalls('staff').map((c) => c.path)).toEqual([`/staff/${hidden}`, `/staff/${removed}`].sort());
    expect(ownUrlCalls('locations').map((c) => c.path)).toEqual([`/locations/${hiddenLocation}`]);
    expect(summary.stats.staff).toMatchObject({ inactive: 1, deleted: 1 });
    expect(summary.stats.locations).toMatchObject({ inactive: 1, deleted: 0 });
    const state = async (table: string, id: number) =>
      (
        await db.$queryRawUnsafe<Array<{ inactive: boolean; deleted: boolean }>>(
          `SELECT inactive_at IS NOT NULL AS inactive, deleted_at IS NOT NULL AS deleted FROM ${table} WHERE id = ${id}`,
        )
      )[0];
    expect(await state('staff', hidden)).toEqual({ inactive: true, deleted: false });
    expect(await state('staff', removed)).toEqual({ inactive: false, deleted: true });
    expect(await state('locations', hiddenLocation)).toEqual({ inactive: true, deleted: false });
    // The views leave inactive rows out.
    expect(await count(`SELECT count(*) AS n FROM location_staff_view WHERE staff_id = ${hidden}`)).toBe(0);
    expect(
      await count(`SELECT count(*) AS n FROM location_staff_view WHERE location_id = ${hiddenLocation}`),
    ).toBe(0);

    // Asked again on every full sync (a hidden object may be deleted later), but nothing rewritten.
    const before = await rowVersions(db);
    sim.resetCalls();
    expect((await sync()).status).toBe('succeeded');
    expect(ownUrlCalls('staff').map((c) => c.path)).toEqual([`/staff/${hidden}`]);
    expect(await rowVersions(db)).toEqual(before);

    sim.data.unhide('staff', hidden);
    sim.data.unhide('location', hiddenLocation);
    await sync();
    expect(await state('staff', hidden)).toEqual({ inactive: false, deleted: false });
    expect(await state('locations', hiddenLocation)).toEqual({ inactive: false, deleted: false });
    expect(await readMirror(db)).toEqual(expectedMirror(sim.data.snapshot()));
  });

  it('is not even asked about when more went missing than the guard would let go', async () => {
    await sync();
    const staffIds = [...sim.data.staff.keys()];
    for (const id of staffIds.slice(0, Math.ceil(staffIds.length * 0.7))) sim.data.remove('staff', id);
    sim.resetCalls();
    const summary = await sync();
    expect(summary.status).toBe('partial');
    expect(summary.reasons.join('\n')).toMatch(/staff: would delete \d+ of \d+ active staff/);
    expect(summary.stats.staff.held).toBe(Math.ceil(staffIds.length * 0.7));
    expect(ownUrlCalls('staff')).toEqual([]);
    expect(await count('SELECT count(*) AS n FROM staff WHERE deleted_at IS NOT NULL')).toBe(0);
  });
});

describe('whatever the lists answer', () => {
  it.each([
    ['empty filtered lists answer 404, lists unpaged', 404, false],
    ['empty filtered lists answer [], lists unpaged', 200, false],
    ['empty filtered lists answer 404, every list paged by 4', 404, true],
    ['empty filtered lists answer [], every list paged by 4', 200, true],
  ] as const)(
    '%s: complete, and an unchanged account synced again writes nothing',
    async (_, status, paged) => {
      sim.setEmptyListStatus(status);
      if (paged) sim.setListPaging({ mode: 'paged', defaultPageSize: 4, maxPageSize: 4 });
      const deps = () => createTestSyncDeps(sim, db, { env: { TIMETAP_PAGE_SIZE: '4' } });
      expect((await runSync(deps(), { scope: 'full' })).status).toBe('succeeded');
      expect(await readMirror(db)).toEqual(expectedMirror(sim.data.snapshot()));
      const before = await rowVersions(db);
      expect((await runSync(deps(), { scope: 'full' })).status).toBe('succeeded');
      expect(await rowVersions(db)).toEqual(before);
    },
  );
});
