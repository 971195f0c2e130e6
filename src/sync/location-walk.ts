/**
 * The walk of one location: its staff, its services, and the services each of its staff offers
 * there. What TimeTap returned is upserted and the location's links recorded; the links that were
 * not seen are tombstoned only when every call of the location succeeded and every record was
 * usable, and always behind the mass-delete guard. Any failure leaves everything under the
 * location untouched.
 *
 * A 404 on one of the location's lists proves nothing by itself: TimeTap does not document what a
 * filter that matches nothing answers. The location's own URL decides: 200 means the list is
 * empty; 404 means TimeTap contradicts its own location list (which the walk came from), so the
 * location is left untouched this time and the next run's list settles it.
 */
import type { AccountContext } from '../account.js';
import type { Db } from '../db/database.js';
import type { GuardOptions } from '../db/delete-guard.js';
import {
  type RunWrite,
  recordLocationLinks,
  tombstoneLocationLinks,
  upsertServices,
  upsertStaff,
} from '../db/index.js';
import {
  AuthError,
  describeError,
  isRetryable,
  NetworkError,
  NotFoundError,
  SessionBreakerOpenError,
  SyncError,
} from '../errors.js';
import type { Logger } from '../logger.js';
import type { ServiceRecord, StaffRecord } from '../records.js';
import type { ListResult, TimeTapApi } from '../timetap/index.js';
import type { Authoritative } from './account-walk.js';
import { mapSettled } from './concurrency.js';
import { addCounts, emptyStats, type RunStats } from './stats.js';

export interface WalkDeps {
  /** The account walked: every row written or read is of this account (its name keys them). */
  account: Pick<AccountContext, 'name'>;
  api: TimeTapApi;
  db: Db;
  logger: Logger;
  guard: GuardOptions;
  /** Requests for one location's staff services that may be queued at once (the limiter still rules). */
  staffConcurrency: number;
  /** In a full sync: the account-wide lists already wrote these; the location only fills gaps. */
  authoritative?: Authoritative;
  /**
   * The sync run (its `sync_runs` row) that the walks write for: every writer is handed it, so
   * that the change feed names the run (db/run-id.ts). Unset outside a run (webhooks).
   */
  runId?: number | undefined;
}

/** What the walks hand every writer: the account's rows, for the run (db/run-id.ts). */
export function writeOf(deps: Pick<WalkDeps, 'account' | 'runId'>): RunWrite {
  return { account: deps.account.name, runId: deps.runId };
}

/**
 * complete: every call succeeded and every record was usable (links tombstoned, unless the guard
 * refused, which `reasons` then says); incomplete: upserted, but a record was unusable, so no
 * tombstones; failed: a call failed, nothing under the location was touched.
 */
export type LocationStatus = 'complete' | 'incomplete' | 'failed';

export interface LocationOutcome {
  locationId: number;
  status: LocationStatus;
  /** Why the location failed, or why its tombstones were withheld. */
  reasons: string[];
  stats: RunStats;
  /** Ids seen under the location, so that account-wide tombstones never remove them. */
  seenStaff: number[];
  seenServices: number[];
  /** For a failed location: whether trying the location again may help. */
  retryable: boolean;
}

export async function walkLocation(deps: WalkDeps, locationId: number): Promise<LocationOutcome> {
  const { api, db, logger } = deps;
  const write = writeOf(deps);
  const stats = emptyStats();
  const outcome = (
    status: LocationStatus,
    reasons: string[],
    seen?: { staff: number[]; services: number[] },
    retryable = false,
  ): LocationOutcome => ({
    locationId,
    status,
    reasons,
    stats,
    seenStaff: seen?.staff ?? [],
    seenServices: seen?.services ?? [],
    retryable,
  });

  let exists: Promise<unknown> | undefined;
  const orEmpty = async <T>(read: () => Promise<ListResult<T>>): Promise<ListResult<T>> => {
    try {
      return await read();
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      exists ??= api.getLocation(locationId).catch((cause: unknown) => {
        throw cause instanceof NotFoundError ? new ContradictionError(locationId) : cause;
      });
      await exists;
      return { items: [], skipped: [] };
    }
  };
  let staffList: ListResult<StaffRecord>;
  let serviceList: ListResult<ServiceRecord>;
  try {
    [staffList, serviceList] = await Promise.all([
      orEmpty(() => api.listStaff(locationId)),
      orEmpty(() => api.listServices(locationId)),
    ]);
  } catch (error) {
    if (isFatal(error)) throw error;
    return outcome('failed', [describeError(error)], undefined, isRetryable(error));
  }

  const perStaff = await mapSettled(staffList.items, deps.staffConcurrency, (staff) =>
    orEmpty(() => api.listServices(locationId, staff.id)),
  );
  const fatal = perStaff.find((r) => r.status === 'rejected' && isFatal(r.reason));
  if (fatal?.status === 'rejected') throw fatal.reason;
  const failures = perStaff.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length > 0) {
    const why = `${failures.length} staff service list(s) failed; first: ${describeError(failures[0])}`;
    return outcome('failed', [why], undefined, failures.every(isRetryable));
  }

  // Services offered by a staff member may be missing from the location's own list; they are
  // still real services, so they are upserted too (one row each, however often they are seen).
  const services = new Map<number, ServiceRecord>();
  for (const s of serviceList.items) services.set(s.id, s);
  const staffServices: Array<[number, number]> = [];
  let skippedStaffServices = 0;
  perStaff.forEach((result, index) => {
    if (result.status !== 'fulfilled') return;
    const staffId = staffList.items[index]?.id as number;
    skippedStaffServices += result.value.skipped.length;
    for (const s of result.value.items) {
      if (!services.has(s.id)) services.set(s.id, s);
      staffServices.push([staffId, s.id]);
    }
  });

  const onlyMissing = deps.authoritative ?? { staff: false, services: false };
  addCounts(stats, 'staff', {
    ...(await upsertStaff(db, staffList.items, { onlyMissing: onlyMissing.staff, logger, ...write })),
    skipped: staffList.skipped.length,
  });
  addCounts(stats, 'services', {
    ...(await upsertServices(db, [...services.values()], {
      onlyMissing: onlyMissing.services,
      logger,
      ...write,
    })),
    skipped: serviceList.skipped.length + skippedStaffServices,
  });

  const seen = {
    staffIds: staffList.items.map((s) => s.id),
    serviceIds: serviceList.items.map((s) => s.id),
    staffServices,
  };
  const links = await recordLocationLinks(db, locationId, seen, write);
  addCounts(stats, 'location_staff', links.location_staff);
  addCounts(stats, 'location_services', links.location_services);
  addCounts(stats, 'staff_services', links.staff_services);

  const seenIds = { staff: seen.staffIds, services: [...services.keys()] };
  const skipped = staffList.skipped.length + serviceList.skipped.length + skippedStaffServices;
  if (skipped > 0) {
    // An unusable record might be one of the links we hold: deleting on that evidence could
    // remove a link that still exists, so the location's tombstones wait for a clean answer.
    const reason = `${skipped} record(s) without a usable id were skipped; links not tombstoned`;
    logger.warn({ locationId, skipped }, reason);
    return outcome('incomplete', [reason], seenIds);
  }

  const tombstones = await tombstoneLocationLinks(db, locationId, seen, deps.guard, links.state, write);
  const reasons: string[] = [];
  for (const [table, result] of Object.entries(tombstones)) {
    if (result.refused) {
      reasons.push(`${table}: ${result.reason}`);
      addCounts(stats, table as keyof RunStats, { held: result.held });
    } else addCounts(stats, table as keyof RunStats, { deleted: result.deleted });
  }
  return outcome('complete', reasons, seenIds);
}

/** The location list shows the location, its own URL answers 404: decided by the next run. */
class ContradictionError extends SyncError {
  constructor(locationId: number) {
    super(
      `a list of the location answered 404 and so did GET /locations/${locationId}, although ` +
        'GET /locations lists it; left untouched until TimeTap agrees with itself',
      { retryable: true },
    );
  }
}

/**
 * Failures that no other location can escape either, so the whole run stops on them: TimeTap
 * refused the keys, or refused the session for almost every call (the breaker), or the process is
 * shutting down, or TimeTap answers with redirects (the client's only non-retryable network
 * errors: the shutdown abort, and a redirect it will not follow).
 */
export function isFatal(error: unknown): boolean {
  return (
    error instanceof AuthError ||
    error instanceof SessionBreakerOpenError ||
    (error instanceof NetworkError && !error.retryable)
  );
}
