/**
 * One sync run, in this process: the way `timetap-sync sync` runs it, without Redis. The worker
 * runs the same steps, fanned out over jobs (src/queue/).
 *
 * Terminology, used the same way everywhere:
 * - sync run: one attempt to bring the mirror up to date, recorded as one `sync_runs` row.
 * - walk: reading TimeTap's lists (account-wide, then per location) during a run.
 * - tombstone: `deleted_at` set on a row that TimeTap showed to be gone (its own URL answered 404
 *   once a complete walk no longer listed it), or on a link a complete walk did not see.
 * - inactive: `inactive_at` set on a row the lists no longer show but whose own URL still answers.
 * - scope: what a run covers, the whole account (`full`) or one location (`location`).
 */
import {
  countActiveRows,
  createMemoryDeleteBudget,
  finishRun,
  heartbeatRun,
  linkDeleteLimits,
  startRun,
  upsertLocations,
} from '../db/index.js';
import { describeError, NotFoundError, UnknownLocationError } from '../errors.js';
import type { Redactor } from '../redact.js';
import type { ClientStats, TimeTapLocation } from '../timetap/index.js';
import { tombstoneAccount } from './account-tombstones.js';
import { walkAccount } from './account-walk.js';
import { mapSettled } from './concurrency.js';
import { type LocationOutcome, type WalkDeps, walkLocation } from './location-walk.js';
import { addCounts, emptyStats, mergeStats, type SyncStats } from './stats.js';

export type SyncRequest = { scope: 'full' } | { scope: 'location'; locationId: number };
export type RunStatus = 'succeeded' | 'partial' | 'failed';

export interface SyncSummary {
  runId: number;
  scope: 'full' | 'location';
  locationId?: number;
  status: RunStatus;
  stats: SyncStats;
  apiCalls: number;
  retries: number;
  relogins: number;
  durationMs: number;
  reasons: string[];
}

export interface RunDeps extends WalkDeps {
  redactor: Redactor;
  locationConcurrency: number;
  trigger: string;
  jobId?: string;
  workerId?: string;
  heartbeatMs?: number;
  onProgress?: (progress: { done: number; total: number; locationId?: number }) => void;
}

export async function runSync(deps: RunDeps, request: SyncRequest): Promise<SyncSummary> {
  const started = Date.now();
  const before = deps.client.stats();
  // A location sync starts from the location's own object: an id TimeTap does not know is a
  // mistake to report, not a run (nothing is written, not even a sync_runs row).
  const location = request.scope === 'location' ? await knownLocation(deps, request.locationId) : undefined;
  const runId = await startRun(deps.db, {
    scope: request.scope,
    ...(request.scope === 'location' ? { locationId: request.locationId } : {}),
    trigger: deps.trigger,
    ...(deps.jobId ? { jobId: deps.jobId } : {}),
    ...(deps.workerId ? { workerId: deps.workerId } : {}),
  });
  const heartbeat = setInterval(() => {
    heartbeatRun(deps.db, runId).catch((error) =>
      deps.logger.warn({ runId, err: describeError(error) }, 'heartbeat failed'),
    );
  }, deps.heartbeatMs ?? 10_000);
  heartbeat.unref();
  const logger = deps.logger.child({ runId, scope: request.scope });
  const stats = emptyStats();
  try {
    const reasons =
      location === undefined
        ? await walkFull({ ...deps, logger }, stats)
        : await walkOne({ ...deps, logger }, location, stats);
    const status: RunStatus = reasons.length === 0 ? 'succeeded' : 'partial';
    return await close(deps, runId, request, { status, stats, reasons, started, before });
  } catch (error) {
    const reason = deps.redactor.scrub(describeError(error));
    await close(deps, runId, request, { status: 'failed', stats, reasons: [reason], started, before }).catch(
      (closeError) => logger.error({ err: describeError(closeError) }, 'could not close the failed run'),
    );
    throw error;
  } finally {
    clearInterval(heartbeat);
  }
}

async function walkFull(deps: RunDeps, stats: SyncStats): Promise<string[]> {
  const account = await walkAccount(deps);
  mergeStats(stats, account.stats);
  // Links are tombstoned per location, but guarded against the whole account's (db/delete-budget.ts).
  const budget = createMemoryDeleteBudget(await linkDeleteLimits(deps.db, deps.guard.ratio));
  const locationDeps = { ...deps, guard: { ...deps.guard, budget } };
  const total = account.locationIds.length;
  let done = 0;
  deps.onProgress?.({ done, total });
  const results = await mapSettled(account.locationIds, deps.locationConcurrency, async (locationId) => {
    const outcome = await walkLocation(locationDeps, locationId);
    deps.onProgress?.({ done: ++done, total, locationId });
    return outcome;
  });
  const fatal = results.find((r) => r.status === 'rejected');
  if (fatal?.status === 'rejected') throw fatal.reason;
  const outcomes = results.map((r) => (r as PromiseFulfilledResult<LocationOutcome>).value);
  for (const outcome of outcomes) mergeStats(stats, outcome.stats);
  const reasons = [...account.reasons, ...locationReasons(outcomes)];
  reasons.push(...(await tombstoneAccount(deps, account, outcomes, stats)));
  return reasons;
}

async function knownLocation(deps: RunDeps, locationId: number): Promise<TimeTapLocation> {
  try {
    return await deps.client.getLocation(locationId);
  } catch (error) {
    throw error instanceof NotFoundError ? new UnknownLocationError(locationId) : error;
  }
}

/** A location sync: the location's own object, then its walk; tombstones limited to its links. */
async function walkOne(deps: RunDeps, location: TimeTapLocation, stats: SyncStats): Promise<string[]> {
  const locationId = location.id;
  deps.onProgress?.({ done: 0, total: 1, locationId });
  addCounts(stats, 'locations', await upsertLocations(deps.db, [location], { logger: deps.logger }));
  const outcome = await walkLocation(deps, locationId);
  mergeStats(stats, outcome.stats);
  deps.onProgress?.({ done: 1, total: 1, locationId });
  return locationReasons([outcome]);
}

export function locationReasons(
  outcomes: readonly Pick<LocationOutcome, 'locationId' | 'reasons'>[],
): string[] {
  return outcomes.flatMap((o) => o.reasons.map((reason) => `location ${o.locationId}: ${reason}`));
}

async function close(
  deps: RunDeps,
  runId: number,
  request: SyncRequest,
  run: { status: RunStatus; stats: SyncStats; reasons: string[]; started: number; before: ClientStats },
): Promise<SyncSummary> {
  const after = deps.client.stats();
  const summary: SyncSummary = {
    runId,
    scope: request.scope,
    ...(request.scope === 'location' ? { locationId: request.locationId } : {}),
    status: run.status,
    stats: run.stats,
    apiCalls: after.apiCalls - run.before.apiCalls,
    retries: after.retries - run.before.retries,
    relogins: after.relogins - run.before.relogins,
    durationMs: Date.now() - run.started,
    reasons: run.reasons.map((r) => deps.redactor.scrub(r)),
  };
  await finishRun(deps.db, runId, {
    status: summary.status,
    stats: summary.stats,
    apiCalls: summary.apiCalls,
    retries: summary.retries,
    relogins: summary.relogins,
    ...(summary.reasons.length > 0 ? { error: summary.reasons.join('\n') } : {}),
    ...(request.scope === 'full' ? { activeRows: await countActiveRows(deps.db) } : {}),
  });
  return summary;
}
