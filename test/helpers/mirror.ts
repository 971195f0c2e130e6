/**
 * Reads the mirror in the shape of the simulator's snapshot, so that a test can assert that the
 * mirror equals TimeTap: active rows only, `raw` as stored, links as sorted tuples.
 */

import { MIRROR_TABLES } from '../../src/db/index.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import type { SimulatorSnapshot } from '../../src/simulator/index.js';

export interface MirrorSnapshot {
  locations: Array<Record<string, unknown>>;
  staff: Array<Record<string, unknown>>;
  services: Array<Record<string, unknown>>;
  locationStaff: Array<[number, number]>;
  locationServices: Array<[number, number]>;
  staffServices: Array<[number, number, number]>;
}

/** The mirror of one account (`default` unless told). */
export async function readMirror(db: PrismaClient, account = 'default'): Promise<MirrorSnapshot> {
  const raws = async (table: 'locations' | 'staff' | 'services') =>
    (
      await db.$queryRawUnsafe<Array<{ raw: Record<string, unknown> }>>(
        `SELECT raw FROM ${table} WHERE account = $1 AND deleted_at IS NULL ORDER BY id`,
        account,
      )
    ).map((r) => r.raw);
  const tuples = async (table: string, columns: string) =>
    (
      await db.$queryRawUnsafe<Array<{ t: Array<string | number> }>>(
        `SELECT ARRAY[${columns}] AS t FROM ${table} WHERE account = $1 AND deleted_at IS NULL ORDER BY 1`,
        account,
      )
    ).map((r) => r.t.map(Number));
  return {
    locations: await raws('locations'),
    staff: await raws('staff'),
    services: await raws('services'),
    locationStaff: (await tuples('location_staff', 'location_id, staff_id')) as Array<[number, number]>,
    locationServices: (await tuples('location_services', 'location_id, service_id')) as Array<
      [number, number]
    >,
    staffServices: (await tuples('staff_services', 'location_id, staff_id, service_id')) as Array<
      [number, number, number]
    >,
  };
}

/**
 * What the mirror must hold for a snapshot: the same tables, less the NUL characters Postgres
 * refuses. Objects the lists hide are still rows of the mirror (kept and marked inactive).
 */
export function expectedMirror(snapshot: SimulatorSnapshot): MirrorSnapshot {
  const { locations, staff, services, locationStaff, locationServices, staffServices } = snapshot;
  return withoutNul({
    locations,
    staff,
    services,
    locationStaff,
    locationServices,
    staffServices,
  }) as MirrorSnapshot;
}

function withoutNul(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll('\u0000', '');
  if (Array.isArray(value)) return value.map(withoutNul);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k.replaceAll('\u0000', ''), withoutNul(v)]),
    );
  }
  return value;
}

/** count(*) = count(distinct key) in every table: no row was ever doubled (in any account). */
export async function duplicateKeys(db: PrismaClient): Promise<Record<string, number>> {
  const checks: Record<string, string> = {
    locations: '(account, id)',
    staff: '(account, id)',
    services: '(account, id)',
    location_staff: '(account, location_id, staff_id)',
    location_services: '(account, location_id, service_id)',
    staff_services: '(account, location_id, staff_id, service_id)',
  };
  const out: Record<string, number> = {};
  for (const [table, key] of Object.entries(checks)) {
    const [row] = await db.$queryRawUnsafe<Array<{ d: bigint }>>(
      `SELECT count(*) - count(DISTINCT ${key}) AS d FROM ${table}`,
    );
    out[table] = Number(row?.d ?? 0);
  }
  return out;
}

/**
 * The physical version of every row (ctid and xmin). Equal before and after a sync proves that
 * the sync wrote nothing at all, which statistics counters (updated asynchronously) cannot.
 */
export async function rowVersions(db: PrismaClient): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of MIRROR_TABLES) {
    const rows = await db.$queryRawUnsafe<Array<{ v: string }>>(
      `SELECT ctid::text || ':' || xmin::text AS v FROM ${table} ORDER BY 1`,
    );
    out[table] = rows.map((r) => r.v);
  }
  return out;
}

/** Rows of each mirror table that a sync of an unchanged account sees (none is tombstoned here). */
export async function activeRows(db: PrismaClient): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of MIRROR_TABLES) {
    const [row] = await db.$queryRawUnsafe<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM ${table} WHERE deleted_at IS NULL`,
    );
    counts[table] = row?.n ?? 0;
  }
  return counts;
}
