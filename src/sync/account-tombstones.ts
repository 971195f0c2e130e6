/**
 * The last step of a full sync: the locations, staff and services that TimeTap's lists no longer
 * show. It runs only on complete evidence: the account-wide list of that table was read without
 * a flaw and every location's walk completed (a failed location might hide a staff member whom
 * the account-wide list missed). Even then, absence from a list is not proof: each unseen row is
 * confirmed through its own URL (confirm-unseen.ts).
 */
import {
  deleteBaseline,
  type EntityTable,
  upsertLocations,
  upsertServices,
  upsertStaff,
} from '../db/index.js';
import type { AccountSnapshot } from './account-walk.js';
import { type ConfirmDeps, type OwnUrl, reconcileUnseen } from './confirm-unseen.js';
import type { LocationOutcome } from './location-walk.js';
import type { RunStats } from './stats.js';

/** What the finishing step needs of each location (a child job's return value carries it). */
type LocationEvidence = Pick<LocationOutcome, 'locationId' | 'status' | 'seenStaff' | 'seenServices'>;

export async function tombstoneAccount(
  deps: ConfirmDeps,
  account: Pick<AccountSnapshot, 'locationIds' | 'locationsComplete' | 'staffIds' | 'serviceIds'>,
  locations: readonly LocationEvidence[],
  stats: RunStats,
): Promise<string[]> {
  const unfinished = locations.filter((l) => l.status !== 'complete');
  const walked = new Set(locations.map((l) => l.locationId));
  const unwalked = account.locationIds.filter((id) => !walked.has(id));
  if (unfinished.length > 0 || unwalked.length > 0) {
    const ids = [...unfinished.map((l) => l.locationId), ...unwalked];
    return [
      `account-wide tombstones skipped: ${ids.length} location(s) incomplete (${ids.slice(0, 10).join(', ')})`,
    ];
  }

  const baseline = await deleteBaseline(deps.db, deps.account.name);
  const union = (listed: number[] | undefined, pick: (l: LocationEvidence) => number[]) =>
    listed === undefined ? undefined : [...new Set([...listed, ...locations.flatMap(pick)])];
  const seen: Record<EntityTable, number[] | undefined> = {
    locations: account.locationsComplete ? account.locationIds : undefined,
    staff: union(account.staffIds, (l) => l.seenStaff),
    services: union(account.serviceIds, (l) => l.seenServices),
  };
  const reasons: string[] = [];
  for (const table of ['locations', 'staff', 'services'] as const) {
    const seenIds = seen[table];
    if (seenIds === undefined) {
      reasons.push(`${table}: not tombstoned, the account-wide list was incomplete`);
      continue;
    }
    reasons.push(...(await reconcileUnseen(deps, table, ownUrl(table), seenIds, baseline[table], stats)));
  }
  return reasons;
}

// The copy from the object's own URL is the authoritative one for a row that no list shows.
function ownUrl(
  table: 'locations' | 'staff' | 'services',
): OwnUrl<{ id: number; raw: Record<string, unknown> }> {
  switch (table) {
    case 'locations':
      return { get: (api, id) => api.getLocation(id), upsert: upsertLocations };
    case 'staff':
      return { get: (api, id) => api.getStaff(id), upsert: upsertStaff };
    case 'services':
      return { get: (api, id) => api.getService(id), upsert: upsertServices };
    default: {
      const never: never = table;
      throw new Error(`unknown table ${String(never)}`);
    }
  }
}
