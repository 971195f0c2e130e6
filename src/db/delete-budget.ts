/**
 * The mass-delete guard for the links of a full sync. Its scope is the whole account (spec), but
 * the links are tombstoned location by location as each walk completes, possibly in several
 * processes. So the run starts with a budget per link table, what the guard allows of the
 * account's active links, and each location reserves the deletions it is about to make; a location whose
 * reservation would overdraw the budget marks nothing and says why. (A location sync has no
 * budget: its scope is the one location, judged on its own.)
 */
import type { Db } from './database.js';
import { countActiveRows, deleteBaseline } from './delete-baseline.js';
import { deleteAllowance } from './delete-guard.js';
import type { LinkTable } from './links.js';

export type DeleteLimits = Record<LinkTable, number>;

export interface DeleteBudget {
  /** Takes `count` deletions of `table` from the budget, or refuses (and takes nothing). */
  reserve(table: LinkTable, count: number): Promise<{ ok: true } | { ok: false; reason: string }>;
}

/**
 * The run's limits: per link table, how many of the active links may go without leaving fewer
 * than `1 - ratio` of the baseline (delete-guard.ts, delete-baseline.ts).
 */
export async function linkDeleteLimits(db: Db, account: string, ratio: number): Promise<DeleteLimits> {
  const [active, baseline] = await Promise.all([countActiveRows(db, account), deleteBaseline(db, account)]);
  const limit = (table: LinkTable) => deleteAllowance(active[table], baseline[table], ratio);
  return {
    location_staff: limit('location_staff'),
    location_services: limit('location_services'),
    staff_services: limit('staff_services'),
  };
}

export function refusalReason(table: LinkTable, wanted: number, used: number, limit: number): string {
  return (
    `would bring this sync's ${table} deletions to ${used + wanted}, more than ${limit} ` +
    '(what SYNC_DELETE_GUARD_RATIO allows of the links the recent successful syncs ended with); ' +
    'nothing was marked deleted ' +
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
