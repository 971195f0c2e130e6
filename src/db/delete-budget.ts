/**
 * The mass-delete guard for the links of a full sync. Its scope is the whole account (spec), but
 * the links are tombstoned location by location as each walk completes, possibly in several
 * processes. So the run starts with a budget per link table, the guard's share of the account's
 * active links, and each location reserves the deletions it is about to make; a location whose
 * reservation would overdraw the budget marks nothing and says why. (A location sync has no
 * budget: its scope is the one location, judged on its own.)
 */
import type { Db } from './client.js';
import type { LinkTable } from './links.js';

export type DeleteLimits = Record<LinkTable, number>;

export interface DeleteBudget {
  /** Takes `count` deletions of `table` from the budget, or refuses (and takes nothing). */
  reserve(table: LinkTable, count: number): Promise<{ ok: true } | { ok: false; reason: string }>;
}

/** The run's limits: `ratio` of each link table's active rows at the start of the run. */
export async function linkDeleteLimits(db: Db, ratio: number): Promise<DeleteLimits> {
  const [row] = await db.$queryRaw<Array<Record<LinkTable, number>>>`
    SELECT
      (SELECT count(*) FROM location_staff WHERE deleted_at IS NULL)::int AS location_staff,
      (SELECT count(*) FROM location_services WHERE deleted_at IS NULL)::int AS location_services,
      (SELECT count(*) FROM staff_services WHERE deleted_at IS NULL)::int AS staff_services`;
  const active = row ?? { location_staff: 0, location_services: 0, staff_services: 0 };
  return {
    location_staff: Math.floor(active.location_staff * ratio),
    location_services: Math.floor(active.location_services * ratio),
    staff_services: Math.floor(active.staff_services * ratio),
  };
}

export function refusalReason(table: LinkTable, wanted: number, used: number, limit: number): string {
  return (
    `would bring this sync's ${table} deletions to ${used + wanted}, more than ${limit} ` +
    '(SYNC_DELETE_GUARD_RATIO of the active links at the start of the run); nothing was marked deleted ' +
    '(SYNC_ALLOW_MASS_DELETE=true allows it)'
  );
}

/** A budget held in this process (`timetap-sync sync`). */
export function createMemoryDeleteBudget(limits: DeleteLimits): DeleteBudget {
  const used: DeleteLimits = { location_staff: 0, location_services: 0, staff_services: 0 };
  return {
    async reserve(table, count) {
      if (used[table] + count > limits[table]) {
        return { ok: false, reason: refusalReason(table, count, used[table], limits[table]) };
      }
      used[table] += count;
      return { ok: true };
    },
  };
}
