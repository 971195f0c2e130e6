/**
 * The account-wide part of a full sync: every location, and the account-wide staff and service
 * lists, so that staff and services assigned to no location are mirrored too and their
 * tombstones rest on a complete list.
 */
import { upsertLocations, upsertServices, upsertStaff } from '../db/index.js';
import { describeError, SessionRefusedError, TimeTapHttpError } from '../errors.js';
import { isFatal, type WalkDeps, writeOf } from './location-walk.js';
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
  deps: Pick<WalkDeps, 'account' | 'api' | 'db' | 'logger' | 'runId'>,
): Promise<AccountSnapshot> {
  const { api, db } = deps;
  const write = writeOf(deps);
  const stats = emptyStats();
  const reasons: string[] = [];

  const unsupported = new Set<'staff' | 'services'>();
  /** The list's ids, or undefined when it is incomplete (with the reason why). */
  const readList = async <T extends { id: number }>(
    label: string,
    list: () => Promise<{ items: T[]; skipped: unknown[] }>,
    upsert: (items: T[]) => Promise<Record<string, number>>,
    entity: 'staff' | 'services',
  ): Promise<{ ids: number[] | undefined; reason?: string }> => {
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
        return { ids: [] };
      }
      return { ids: undefined, reason: `${label} failed: ${describeError(error)}` };
    }
    addCounts(stats, entity, { ...(await upsert(result.items)), skipped: result.skipped.length });
    if (result.skipped.length === 0) return { ids: result.items.map((item) => item.id) };
    return {
      ids: undefined,
      reason: `${label}: ${result.skipped.length} record(s) without a usable id were skipped`,
    };
  };

  // The three lists at once: the requests share the client's budget either way, and one list's
  // rows are prepared while another's are written (bench 3's first load, 5,000 staff and 5,000
  // services before 100,000 links: 1.07-1.17 s one after the other, 0.84-1.00 s at once; the
  // locations first cost a round trip and a write more before every other step of the run).
  // Everything is settled before anything is thrown, so that no request or write is left
  // running behind a failed step.
  const lists = Promise.allSettled([
    readList(
      'GET /staff',
      () => api.listStaff(),
      (items) => upsertStaff(db, items, { logger: deps.logger, ...write }),
      'staff',
    ),
    readList(
      'GET /services',
      () => api.listServices(),
      (items) => upsertServices(db, items, { logger: deps.logger, ...write }),
      'services',
    ),
  ]);
  let locations: Awaited<ReturnType<typeof api.listLocations>>;
  try {
    locations = await api.listLocations();
    addCounts(stats, 'locations', {
      ...(await upsertLocations(db, locations.items, { logger: deps.logger, ...write })),
      skipped: locations.skipped.length,
    });
  } catch (error) {
    await lists;
    throw error;
  }
  if (locations.skipped.length > 0) {
    reasons.push(`GET /locations: ${locations.skipped.length} record(s) without a usable id were skipped`);
  }
  const [staffRead, serviceRead] = await lists;
  const staffList = settledValue(staffRead);
  const serviceList = settledValue(serviceRead);
  const staffIds = staffList.ids;
  const serviceIds = serviceList.ids;
  for (const { reason } of [staffList, serviceList]) if (reason !== undefined) reasons.push(reason);

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

function settledValue<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
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
