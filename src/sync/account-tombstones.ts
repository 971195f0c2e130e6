/**
 * The last step of a full sync: tombstone the locations, staff and services that TimeTap no
 * longer lists. It runs only on complete evidence: the account-wide list of that table was read
 * without a flaw and every location's walk completed (a failed location might hide a staff
 * member whom the account-wide list missed). Everything goes through the mass-delete guard.
 */
import { tombstoneEntities } from '../db/index.js';
import type { AccountSnapshot } from './account-walk.js';
import type { LocationOutcome, WalkDeps } from './location-walk.js';
import { addCounts, type SyncStats } from './stats.js';

/** What the finishing step needs of each location (a child job's return value carries it). */
export type LocationResult = Pick<LocationOutcome, 'locationId' | 'status' | 'seenStaff' | 'seenServices'>;

export async function tombstoneAccount(
  deps: Pick<WalkDeps, 'db' | 'guard' | 'logger'>,
  account: Pick<AccountSnapshot, 'locationIds' | 'locationsComplete' | 'staffIds' | 'serviceIds'>,
  locations: readonly LocationResult[],
  stats: SyncStats,
): Promise<string[]> {
  const unfinished = locations.filter((l) => l.status !== 'complete' && l.status !== 'gone');
  const walked = new Set(locations.map((l) => l.locationId));
  const unwalked = account.locationIds.filter((id) => !walked.has(id));
  if (unfinished.length > 0 || unwalked.length > 0) {
    const ids = [...unfinished.map((l) => l.locationId), ...unwalked];
    return [
      `account-wide tombstones skipped: ${ids.length} location(s) incomplete (${ids.slice(0, 10).join(', ')})`,
    ];
  }

  const reasons: string[] = [];
  const guard = { ...deps.guard, emptyListIsSuspicious: true };
  const apply = async (table: 'locations' | 'staff' | 'services', seen: number[] | undefined) => {
    if (seen === undefined) {
      reasons.push(`${table}: not tombstoned, the account-wide list was incomplete`);
      return;
    }
    const result = await tombstoneEntities(deps.db, table, seen, guard);
    if (result.refused) reasons.push(`${table}: ${result.reason}`);
    else addCounts(stats, table, { deleted: result.deleted });
  };

  const gone = new Set(locations.filter((l) => l.status === 'gone').map((l) => l.locationId));
  const union = (listed: number[] | undefined, pick: (l: LocationResult) => number[]) =>
    listed === undefined ? undefined : [...new Set([...listed, ...locations.flatMap(pick)])];

  await apply(
    'locations',
    account.locationsComplete ? account.locationIds.filter((id) => !gone.has(id)) : undefined,
  );
  await apply(
    'staff',
    union(account.staffIds, (l) => l.seenStaff),
  );
  await apply(
    'services',
    union(account.serviceIds, (l) => l.seenServices),
  );
  return reasons;
}
