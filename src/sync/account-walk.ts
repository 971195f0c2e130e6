/**
 * The account-wide part of a full sync: every location, and the account-wide staff and service
 * lists, so that staff and services assigned to no location are mirrored too and their
 * tombstones rest on a complete list.
 */
import { upsertLocations, upsertServices, upsertStaff } from '../db/index.js';
import { describeError, SessionRefusedError, TimeTapHttpError } from '../errors.js';
import { isFatal, type WalkDeps } from './location-walk.js';
import { addCounts, emptyStats, type RunStats } from './stats.js';

export interface Authoritative {
  staff: boolean;
  services: boolean;
}

export interface AccountSnapshot {
  locationIds: number[];
  /** false when a location record was unusable: then no location may be tombstoned. */
  locationsComplete: boolean;
  /**
   * undefined when the account-wide list failed or held an unusable record; empty when the API
   * does not offer it (the per-location lists are then the evidence).
   */
  staffIds: number[] | undefined;
  serviceIds: number[] | undefined;
  /** Which account-wide lists were read completely: their copies win over per-location ones. */
  authoritative: Authoritative;
  reasons: string[];
  stats: RunStats;
}

/** Reads and upserts the account-wide lists. Throws when the locations cannot be read at all. */
export async function walkAccount(
  deps: Pick<WalkDeps, 'client' | 'db' | 'logger'>,
): Promise<AccountSnapshot> {
  const { client, db } = deps;
  const stats = emptyStats();
  const reasons: string[] = [];

  const locations = await client.listLocations();
  addCounts(stats, 'locations', {
    ...(await upsertLocations(db, locations.items, { logger: deps.logger })),
    skipped: locations.skipped.length,
  });
  if (locations.skipped.length > 0) {
    reasons.push(`GET /locations: ${locations.skipped.length} record(s) without a usable id were skipped`);
  }

  const unsupported = new Set<'staff' | 'services'>();
  const readList = async <T extends { id: number }>(
    label: string,
    list: () => Promise<{ items: T[]; skipped: unknown[] }>,
    upsert: (items: T[]) => Promise<Record<string, number>>,
    entity: 'staff' | 'services',
  ): Promise<number[] | undefined> => {
    // Only TimeTap's failures make the list incomplete; a database failure of the upsert below
    // propagates, so that the job is retried instead of ending `partial` with nothing retried.
    let result: { items: T[]; skipped: unknown[] };
    try {
      result = await list();
    } catch (error) {
      if (isFatal(error)) throw error;
      if (isUnsupported(error)) {
        unsupported.add(entity);
        // timetap-api.md documents these lists per location only; an API that refuses the
        // account-wide form leaves the per-location lists as the evidence for tombstones.
        deps.logger.info(
          { list: label },
          `${label} is not supported here: relying on the per-location lists`,
        );
        return [];
      }
      reasons.push(`${label} failed: ${describeError(error)}`);
      return undefined;
    }
    addCounts(stats, entity, { ...(await upsert(result.items)), skipped: result.skipped.length });
    if (result.skipped.length === 0) return result.items.map((item) => item.id);
    reasons.push(`${label}: ${result.skipped.length} record(s) without a usable id were skipped`);
    return undefined;
  };

  const staffIds = await readList(
    'GET /staff',
    () => client.listStaff(),
    (items) => upsertStaff(db, items, { logger: deps.logger }),
    'staff',
  );
  const serviceIds = await readList(
    'GET /services',
    () => client.listServices(),
    (items) => upsertServices(db, items, { logger: deps.logger }),
    'services',
  );

  return {
    locationIds: locations.items.map((l) => l.id),
    locationsComplete: locations.skipped.length === 0,
    staffIds,
    serviceIds,
    authoritative: {
      staff: staffIds !== undefined && !unsupported.has('staff'),
      services: serviceIds !== undefined && !unsupported.has('services'),
    },
    reasons,
    stats,
  };
}

/**
 * A permanent refusal of the request itself, not of our credentials: the list does not exist
 * here, or this API user may not read it (a session refused although the keys were accepted).
 */
function isUnsupported(error: unknown): boolean {
  return (
    error instanceof SessionRefusedError ||
    (error instanceof TimeTapHttpError && [400, 404, 405].includes(error.status))
  );
}
