import { describe, expect, it } from 'vitest';
import { DEFAULT_ACCOUNT } from '../../src/account.js';
import type { Db } from '../../src/db/database.js';
import { upsertLocations, upsertStaff } from '../../src/db/entities.js';
import { type LocationLinks, recordLocationLinks } from '../../src/db/links.js';
import {
  HASHED_SEEN_KEYS,
  setInactive,
  tombstoneEntityRows,
  tombstoneLocationLinks,
  unseenEntities,
} from '../../src/db/tombstones.js';
import { useTestDatabase } from '../helpers/use-database.js';

let db: Db;
const guard = { ratio: 0.5, allowMassDelete: false };

useTestDatabase(
  ['locations', 'staff', 'services', 'location_staff', 'location_services', 'staff_services'],
  (database) => {
    db = database.db;
  },
);

async function active(table: string, where = 'TRUE'): Promise<string[]> {
  const rows = await db.$queryRawUnsafe<Array<{ key: string }>>(
    `SELECT concat_ws(':', VARIADIC ARRAY[${table === 'staff_services' ? 'location_id, staff_id, service_id' : table === 'location_staff' ? 'location_id, staff_id' : table === 'location_services' ? 'location_id, service_id' : 'id'}]::text[]) AS key
     FROM ${table} WHERE deleted_at IS NULL AND ${where} ORDER BY 1`,
  );
  return rows.map((r) => r.key);
}

async function xmins(table: string): Promise<string[]> {
  const rows = await db.$queryRawUnsafe<Array<{ x: string }>>(
    `SELECT xmin::text AS x FROM ${table} ORDER BY 1`,
  );
  return rows.map((r) => r.x);
}

const links: LocationLinks = {
  staffIds: [1, 2, 3, 4],
  serviceIds: [10, 11],
  staffServices: [
    [1, 10],
    [2, 10],
    [3, 11],
    [4, 11],
  ],
};

describe('links', () => {
  it('records links once; seeing them again writes nothing', async () => {
    const first = await recordLocationLinks(
      db,
      100,
      { ...links, staffIds: [...links.staffIds, 1, 2] },
      { account: DEFAULT_ACCOUNT },
    );
    expect(first).toEqual({
      location_staff: { inserted: 4, revived: 0, unchanged: 0 },
      location_services: { inserted: 2, revived: 0, unchanged: 0 },
      staff_services: { inserted: 4, revived: 0, unchanged: 0 },
      state: {
        location_staff: { active: 4, unseen: 0 },
        location_services: { active: 2, unseen: 0 },
        staff_services: { active: 4, unseen: 0 },
      },
    });
    const before = await Promise.all(['location_staff', 'location_services', 'staff_services'].map(xmins));
    const second = await recordLocationLinks(db, 100, links, { account: DEFAULT_ACCOUNT });
    expect(second.location_staff).toEqual({ inserted: 0, revived: 0, unchanged: 4 });
    expect(second.staff_services).toEqual({ inserted: 0, revived: 0, unchanged: 4 });
    expect(await Promise.all(['location_staff', 'location_services', 'staff_services'].map(xmins))).toEqual(
      before,
    );
  });

  it('tombstones unseen links within the location only, and revives them when seen again', async () => {
    await recordLocationLinks(db, 100, links, { account: DEFAULT_ACCOUNT });
    await recordLocationLinks(db, 200, links, { account: DEFAULT_ACCOUNT });
    const seen: LocationLinks = {
      staffIds: [1, 2, 3],
      serviceIds: [10, 11],
      staffServices: [
        [1, 10],
        [2, 10],
        [3, 11],
      ],
    };
    // What a walk does: record what it saw, then tombstone on the counts the recording returned.
    const recorded = await recordLocationLinks(db, 100, seen, { account: DEFAULT_ACCOUNT });
    expect(recorded.state).toEqual({
      location_staff: { active: 4, unseen: 1 },
      location_services: { active: 2, unseen: 0 },
      staff_services: { active: 4, unseen: 1 },
    });
    expect(
      await tombstoneLocationLinks(db, 100, seen, guard, recorded.state, { account: DEFAULT_ACCOUNT }),
    ).toEqual({
      location_staff: { refused: false, deleted: 1 },
      location_services: { refused: false, deleted: 0 },
      staff_services: { refused: false, deleted: 1 },
    });
    expect(await active('location_staff', 'location_id = 100')).toEqual(['100:1', '100:2', '100:3']);
    expect(await active('staff_services', 'location_id = 100')).not.toContain('100:4:11');
    expect(await active('location_staff', 'location_id = 200')).toHaveLength(4);
    expect(await active('staff_services', 'location_id = 200')).toHaveLength(4);

    const again = await recordLocationLinks(db, 100, links, { account: DEFAULT_ACCOUNT });
    expect(again.location_staff).toEqual({ inserted: 0, revived: 1, unchanged: 3 });
    expect(again.staff_services).toEqual({ inserted: 0, revived: 1, unchanged: 3 });
    expect(again.state?.location_staff).toEqual({ active: 4, unseen: 0 });
    expect(
      await tombstoneLocationLinks(db, 100, links, guard, again.state, { account: DEFAULT_ACCOUNT }),
    ).toEqual(await tombstoneLocationLinks(db, 100, links, guard, undefined, { account: DEFAULT_ACCOUNT }));
    expect(await active('location_staff', 'location_id = 100')).toHaveLength(4);
  });

  it('marks the unseen links of a location with more seen keys than a hashed filter takes', async () => {
    const staffIds = Array.from({ length: 200 }, (_, i) => i + 1);
    const serviceIds = Array.from({ length: Math.ceil(HASHED_SEEN_KEYS / 200) + 1 }, (_, i) => 1_000 + i);
    const staffServices = staffIds.flatMap((s) => serviceIds.map((v) => [s, v] as const));
    expect(staffServices.length).toBeGreaterThan(HASHED_SEEN_KEYS);
    const large: LocationLinks = { staffIds, serviceIds, staffServices };
    await recordLocationLinks(db, 100, large, { account: DEFAULT_ACCOUNT });
    await recordLocationLinks(db, 200, links, { account: DEFAULT_ACCOUNT });
    // The join this takes is planned on statistics, which a table this large has in production
    // (autovacuum); without them it is still right, only slow.
    await db.$executeRawUnsafe('ANALYZE staff_services');
    const seen = { ...large, staffServices: staffServices.slice(2) };
    expect(
      await tombstoneLocationLinks(db, 100, seen, guard, undefined, { account: DEFAULT_ACCOUNT }),
    ).toEqual({
      location_staff: { refused: false, deleted: 0 },
      location_services: { refused: false, deleted: 0 },
      staff_services: { refused: false, deleted: 2 },
    });
    expect(await active('staff_services', 'location_id = 100')).toHaveLength(staffServices.length - 2);
    expect(await active('staff_services', 'location_id = 200')).toHaveLength(4);
  });

  it('guards each link table: a mass delete is refused and marks nothing; the override allows it', async () => {
    await recordLocationLinks(db, 100, links, { account: DEFAULT_ACCOUNT });
    const seen: LocationLinks = { staffIds: [1], serviceIds: [10, 11], staffServices: [[1, 10]] };
    const refused = await tombstoneLocationLinks(db, 100, seen, guard, undefined, {
      account: DEFAULT_ACCOUNT,
    });
    expect(refused.location_staff).toEqual({
      refused: true,
      reason: expect.stringContaining(
        'would delete 3 of 4 active location_staff links of location 100 (ratio 0.5)',
      ),
      held: 3,
    });
    expect(refused.staff_services.refused).toBe(true);
    expect(refused.location_services).toEqual({ refused: false, deleted: 0 });
    expect(await active('location_staff')).toHaveLength(4);
    expect(await active('staff_services')).toHaveLength(4);

    const allowed = await tombstoneLocationLinks(
      db,
      100,
      seen,
      { ...guard, allowMassDelete: true },
      undefined,
      { account: DEFAULT_ACCOUNT },
    );
    expect(allowed.location_staff).toEqual({ refused: false, deleted: 3 });
    expect(await active('location_staff')).toEqual(['100:1']);
  });

  it('refuses an empty list only when told that empty is suspicious', async () => {
    await recordLocationLinks(db, 100, links, { account: DEFAULT_ACCOUNT });
    const empty: LocationLinks = { staffIds: [], serviceIds: [], staffServices: [] };
    const suspicious = await tombstoneLocationLinks(
      db,
      100,
      empty,
      {
        ratio: 1,
        allowMassDelete: false,
        emptyListIsSuspicious: true,
      },
      undefined,
      { account: DEFAULT_ACCOUNT },
    );
    expect(suspicious.location_staff).toMatchObject({
      refused: true,
      reason: expect.stringContaining('empty list'),
    });
    expect(await active('location_staff')).toHaveLength(4);
    const trusted = await tombstoneLocationLinks(
      db,
      100,
      empty,
      { ratio: 1, allowMassDelete: false },
      undefined,
      { account: DEFAULT_ACCOUNT },
    );
    expect(trusted.location_staff).toEqual({ refused: false, deleted: 4 });
  });
});

describe('entity tombstones', () => {
  const staff = (id: number) => ({ id, raw: { professionalId: id } });

  it('reads the unseen active rows, split into newly missing and already inactive', async () => {
    await upsertStaff(db, [1, 2, 3, 4, 5].map(staff), { account: DEFAULT_ACCOUNT });
    await tombstoneEntityRows(db, 'staff', [5], { account: DEFAULT_ACCOUNT });
    await setInactive(db, 'staff', [4], true, { account: DEFAULT_ACCOUNT });
    expect(await unseenEntities(db, DEFAULT_ACCOUNT, 'staff', [1, 2])).toEqual({
      active: 4,
      missing: [3],
      inactive: [4],
    });
    expect(await unseenEntities(db, DEFAULT_ACCOUNT, 'staff', [1, 2, 3, 4])).toEqual({
      active: 4,
      missing: [],
      inactive: [],
    });
  });

  it('marks rows deleted once; a second mark writes nothing', async () => {
    await upsertStaff(db, [1, 2, 3, 4].map(staff), { account: DEFAULT_ACCOUNT });
    expect(await tombstoneEntityRows(db, 'staff', [4], { account: DEFAULT_ACCOUNT })).toBe(1);
    expect(await active('staff')).toEqual(['1', '2', '3']);
    const before = await xmins('staff');
    expect(await tombstoneEntityRows(db, 'staff', [4], { account: DEFAULT_ACCOUNT })).toBe(0);
    expect(await xmins('staff')).toEqual(before);
  });

  it('sets and clears inactive_at only where it changes, and never on a deleted row', async () => {
    await upsertStaff(db, [1, 2, 3].map(staff), { account: DEFAULT_ACCOUNT });
    await tombstoneEntityRows(db, 'staff', [3], { account: DEFAULT_ACCOUNT });
    expect(await setInactive(db, 'staff', [1, 3], true, { account: DEFAULT_ACCOUNT })).toBe(1);
    const before = await xmins('staff');
    expect(await setInactive(db, 'staff', [1], true, { account: DEFAULT_ACCOUNT })).toBe(0);
    expect(await setInactive(db, 'staff', [2], false, { account: DEFAULT_ACCOUNT })).toBe(0);
    expect(await xmins('staff')).toEqual(before);
    expect(await setInactive(db, 'staff', [1, 2], false, { account: DEFAULT_ACCOUNT })).toBe(1);
    const rows = await db.$queryRawUnsafe<Array<{ id: bigint }>>(
      'SELECT id FROM staff WHERE inactive_at IS NOT NULL',
    );
    expect(rows).toEqual([]);
  });

  it("takes the links of tombstoned locations with them, and no other location's", async () => {
    await upsertLocations(
      db,
      [1, 2, 3].map((id) => ({ id, raw: { locationId: id } })),
      { account: DEFAULT_ACCOUNT },
    );
    await recordLocationLinks(db, 1, links, { account: DEFAULT_ACCOUNT });
    await recordLocationLinks(db, 2, links, { account: DEFAULT_ACCOUNT });
    expect(await tombstoneEntityRows(db, 'locations', [1], { account: DEFAULT_ACCOUNT })).toBe(1);
    expect(await active('locations')).toEqual(['2', '3']);
    expect(await active('location_staff', 'location_id = 1')).toEqual([]);
    expect(await active('location_services', 'location_id = 1')).toEqual([]);
    expect(await active('staff_services', 'location_id = 1')).toEqual([]);
    expect(await active('location_staff', 'location_id = 2')).toHaveLength(4);
    expect(await tombstoneEntityRows(db, 'locations', [1], { account: DEFAULT_ACCOUNT })).toBe(0);
  });
});
