/**
 * The last step of a full sync: the locations, staff and services that TimeTap's lists no longer
 * show. It runs only on complete evidence: the account-wide list of that table was read without
 * a flaw and every location's walk completed (a failed location might hide a staff member whom
 * the account-wide list missed). Even then, absence from a list is not proof: each unseen row is
 * confirmed through its own URL (`GET /staff/{id}`, ...):
 * - 404: gone, tombstoned (behind the mass-delete guard);
 * - the object: it still exists but the list hides it (TimeTap's lists may omit inactive or
 *   private records): kept, updated from its own copy, and marked inactive;
 * - anything else: undecided, kept as it is, and the run ends `partial`.
 * The guard also bounds the confirmations: when more rows went missing than it would let go, no
 * call is made and nothing is marked.
 */
import {
  deleteBaseline,
  type EntityTable,
  evaluateDeleteGuard,
  setInactive,
  tombstoneEntityRows,
  type UpsertCounts,
  unseenEntities,
  upsertLocations,
  upsertServices,
  upsertStaff,
} from '../db/index.js';
import { describeError, NotFoundError } from '../errors.js';
import type { TimeTapClient } from '../timetap/index.js';
import type { AccountSnapshot } from './account-walk.js';
import { mapSettled } from './concurrency.js';
import { isFatal, type LocationOutcome, type WalkDeps } from './location-walk.js';
import { addCounts, type RunStats } from './stats.js';

/** What the finishing step needs of each location (a child job's return value carries it). */
export type LocationResult = Pick<LocationOutcome, 'locationId' | 'status' | 'seenStaff' | 'seenServices'>;

type Deps = Pick<WalkDeps, 'db' | 'guard' | 'logger' | 'client' | 'staffConcurrency'>;

export async function tombstoneAccount(
  deps: Deps,
  account: Pick<AccountSnapshot, 'locationIds' | 'locationsComplete' | 'staffIds' | 'serviceIds'>,
  locations: readonly LocationResult[],
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

  const baseline = await deleteBaseline(deps.db);
  const union = (listed: number[] | undefined, pick: (l: LocationResult) => number[]) =>
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
    reasons.push(...(await reconcile(deps, table, ownUrl(table), seenIds, baseline[table], stats)));
  }
  return reasons;
}

/** How to read one object through its own URL, and how to store that copy. */
interface OwnUrl<R extends { id: number }> {
  get(client: TimeTapClient, id: number): Promise<R>;
  upsert(db: Deps['db'], rows: R[], options: { logger: Deps['logger'] }): Promise<UpsertCounts>;
}

// The copy from the object's own URL is the authoritative one for a row that no list shows.
function ownUrl(table: EntityTable): OwnUrl<{ id: number; raw: Record<string, unknown> }> {
  switch (table) {
    case 'locations':
      return { get: (client, id) => client.getLocation(id), upsert: upsertLocations };
    case 'staff':
      return { get: (client, id) => client.getStaff(id), upsert: upsertStaff };
    case 'services':
      return { get: (client, id) => client.getService(id), upsert: upsertServices };
    default: {
      const never: never = table;
      throw new Error(`unknown table ${String(never)}`);
    }
  }
}

async function reconcile<R extends { id: number }>(
  deps: Deps,
  table: EntityTable,
  own: OwnUrl<R>,
  seenIds: number[],
  baseline: number,
  stats: RunStats,
): Promise<string[]> {
  const { db, logger } = deps;
  // Listed again: no longer inactive.
  await setInactive(db, table, seenIds, false);
  const unseen = await unseenEntities(db, table, seenIds);
  if (unseen.missing.length === 0 && unseen.inactive.length === 0) return [];

  const guard = { ...deps.guard, emptyListIsSuspicious: true };
  const judge = (doomed: number) =>
    evaluateDeleteGuard(
      { label: table, active: unseen.active, doomed, seen: seenIds.length, baseline },
      guard,
    );
  // Every newly missing row might be gone: that many deletions must be allowed before we ask.
  const before = judge(unseen.missing.length);
  if (before.refused) return [`${table}: ${before.reason}`];

  const checked = await confirm(deps, own, [...unseen.missing, ...unseen.inactive]);
  const present = checked.present.map((row) => row.id);
  if (present.length > 0) {
    addCounts(stats, table, await own.upsert(db, checked.present, { logger }));
    const marked = await setInactive(db, table, present, true);
    addCounts(stats, table, { inactive: marked });
    if (marked > 0) logger.info({ table, marked }, 'kept rows that the list no longer shows, as inactive');
  }
  const reasons: string[] = [];
  const after = judge(checked.gone.length);
  if (after.refused) reasons.push(`${table}: ${after.reason}`);
  else addCounts(stats, table, { deleted: await tombstoneEntityRows(db, table, checked.gone) });
  if (checked.undecided.length > 0) {
    const [first] = checked.undecided;
    reasons.push(
      `${table}: ${checked.undecided.length} row(s) missing from the list could not be confirmed ` +
        `(first: ${first?.id}: ${first?.why}); kept as they are`,
    );
  }
  return reasons;
}

interface Confirmed<R> {
  gone: number[];
  present: R[];
  undecided: Array<{ id: number; why: string }>;
}

async function confirm<R extends { id: number }>(
  deps: Deps,
  own: OwnUrl<R>,
  ids: number[],
): Promise<Confirmed<R>> {
  const results = await mapSettled(ids, deps.staffConcurrency, (id) => own.get(deps.client, id));
  const confirmed: Confirmed<R> = { gone: [], present: [], undecided: [] };
  results.forEach((result, index) => {
    const id = ids[index] as number;
    if (result.status === 'fulfilled') confirmed.present.push(result.value);
    else if (result.reason instanceof NotFoundError) confirmed.gone.push(id);
    else if (isFatal(result.reason)) throw result.reason;
    else confirmed.undecided.push({ id, why: describeError(result.reason) });
  });
  return confirmed;
}
