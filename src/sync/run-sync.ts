/**
 * One sync run in this process, its steps one after another (run-steps.ts): how `timetap-sync
 * sync` runs, without Redis, and how the worker runs an on-demand location sync. The worker's
 * full sync runs the same steps fanned out over jobs (src/queue/).
 *
 * Terminology (the README's, used the same way everywhere):
 * - sync run: one attempt to bring the mirror up to date, recorded as one `sync_runs` row.
 * - scope: what a run covers, the whole account (`full`) or one location (`location`).
 * - walk: reading TimeTap's lists (account-wide, then per location) during a run.
 * - step: a part of a run that one process does at a time (begin, account, location, finish).
 * - entity: a location, staff member or service (a row of `locations`, `staff`, `services`);
 *   link: a row of `location_staff`, `location_services` or `staff_services`; table: any of the six.
 * - tombstone: `deleted_at` set on a row that TimeTap showed to be gone (its own URL answered 404
 *   once a complete walk no longer listed it), or on a link a complete walk did not see.
 * - inactive: `inactive_at` set on a row the lists no longer show but whose own URL still answers.
 */
import { createMemoryDeleteBudget } from '../db/index.js';
import type { ClientStats } from '../timetap/index.js';
import type { ChunkRecord } from './appointment-walk.js';
import { mapSettled } from './concurrency.js';
import {
  accountStep,
  appointmentChunkStep,
  beginRun,
  type Counters,
  clientStep,
  closeRun,
  failRun,
  finishFullRun,
  locationStep,
  oneLocationStep,
  type RunMeta,
  type RunTotals,
  type StepDeps,
  type SyncRequest,
  windowChunks,
  withHeartbeat,
} from './run-steps.js';
import { emptyStats, mergeStats, type RunStats } from './stats.js';

export type { SyncRequest } from './run-steps.js';

export interface SyncSummary {
  runId: number;
  scope: 'full' | 'location';
  locationId?: number;
  status: 'succeeded' | 'partial' | 'failed';
  stats: RunStats;
  apiCalls: number;
  retries: number;
  relogins: number;
  durationMs: number;
  reasons: string[];
}

export interface RunDeps extends StepDeps, RunMeta {
  locationConcurrency: number;
  onProgress?: (progress: {
    stage: 'locations' | 'appointments';
    done: number;
    total: number;
    locationId?: number;
  }) => void;
}

/** Chunks of appointments read at once; the limiter rules the requests in any case. */
const CHUNK_CONCURRENCY = 2;

/** Throws RunActiveError (nothing started) when a run of the same scope is alive. */
export async function runSync(deps: RunDeps, request: SyncRequest): Promise<SyncSummary> {
  const started = Date.now();
  const before = deps.client.stats();
  const { runId, location } = await beginRun(deps, request, deps);
  const logger = deps.logger.child({ runId, scope: request.scope });
  const stats = emptyStats();
  const chunkReads: ChunkRecord[] = [];
  const totals = (): RunTotals => ({
    stats,
    counters: countersSince(before, deps.client.stats()),
    chunks: chunkReads,
  });
  const summary = (status: SyncSummary['status'], reasons: string[]): SyncSummary => ({
    runId,
    ...request,
    status,
    stats,
    ...totals().counters,
    durationMs: Date.now() - started,
    reasons: reasons.map((r) => deps.redactor.scrub(r)),
  });
  try {
    if (location === undefined) {
      const { status, reasons } = await fullRun({ ...deps, logger }, runId, stats, totals, chunkReads);
      return summary(status, reasons);
    }
    deps.onProgress?.({ stage: 'locations', done: 0, total: 1, locationId: location.id });
    const reasons = await oneLocationStep({ ...deps, logger }, runId, location, stats);
    deps.onProgress?.({ stage: 'locations', done: 1, total: 1, locationId: location.id });
    const status = reasons.length === 0 ? 'succeeded' : 'partial';
    await closeRun(deps, runId, { scope: 'location', status, reasons, totals: totals() });
    return summary(status, reasons);
  } catch (error) {
    await failRun({ ...deps, logger }, runId, request.scope, error, totals());
    throw error;
  }
}

/** The account, every location (a few at a time), then the finish: all in this process. */
async function fullRun(
  deps: RunDeps,
  runId: number,
  stats: RunStats,
  totals: () => RunTotals,
  chunkReads: ChunkRecord[],
): Promise<{ status: 'succeeded' | 'partial'; reasons: string[] }> {
  const { account, limits } = await accountStep(deps, runId);
  mergeStats(stats, account.stats);
  // Links are tombstoned per location, but guarded against the whole account's (db/delete-budget.ts).
  const budget = createMemoryDeleteBudget(limits);
  const total = account.locationIds.length;
  let done = 0;
  deps.onProgress?.({ stage: 'locations', done, total });
  // Heartbeats across the whole walk too: locations walked a few at a time may take a while.
  const results = await withHeartbeat(deps, runId, () =>
    mapSettled(account.locationIds, deps.locationConcurrency, async (locationId) => {
      const outcome = await locationStep(deps, runId, locationId, budget, account.authoritative);
      deps.onProgress?.({ stage: 'locations', done: ++done, total, locationId });
      return outcome;
    }),
  );
  const outcomes = fulfilled(results);
  for (const outcome of outcomes) mergeStats(stats, outcome.stats);

  // Then the clients and the window of appointments, once the entities they name are mirrored.
  const clients = await clientStep(deps, runId);
  mergeStats(stats, clients.stats);
  const chunks = windowChunks(deps);
  let read = 0;
  deps.onProgress?.({ stage: 'appointments', done: read, total: chunks.length });
  const chunkOutcomes = fulfilled(
    await withHeartbeat(deps, runId, () =>
      mapSettled(chunks, CHUNK_CONCURRENCY, async (range) => {
        const outcome = await appointmentChunkStep(deps, runId, range);
        deps.onProgress?.({ stage: 'appointments', done: ++read, total: chunks.length });
        return outcome;
      }),
    ),
  );
  for (const outcome of chunkOutcomes) mergeStats(stats, outcome.stats);
  chunkReads.push(...chunkOutcomes.flatMap((o) => (o.read ? [o.read] : [])));
  const failures = [...clients.reasons, ...chunkOutcomes.flatMap((o) => o.reasons)];
  return finishFullRun(deps, runId, { account, locations: outcomes, failures, totals });
}

/** The values of settled steps; a step's fatal error (keys refused, shutdown) stops the run. */
function fulfilled<T>(results: PromiseSettledResult<T>[]): T[] {
  const fatal = results.find((r) => r.status === 'rejected');
  if (fatal?.status === 'rejected') throw fatal.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

function countersSince(before: ClientStats, after: ClientStats): Counters {
  return {
    apiCalls: after.apiCalls - before.apiCalls,
    retries: after.retries - before.retries,
    relogins: after.relogins - before.relogins,
  };
}
