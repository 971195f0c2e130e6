/**
 * One run in this process: how `timetap-sync sync` runs, without Redis, and how the worker runs an
 * on-demand location sync. A full run is its plan (plan.ts): the account step, then every other
 * step at once, a few at a time in plan order (SYNC_LOCATION_CONCURRENCY), sharing the client's
 * request budget, then the finish. The worker runs the same plan as jobs (src/queue/).
 *
 * Terminology (the README's, used the same way everywhere):
 * - sync run: one attempt to bring the mirror up to date, recorded as one `sync_runs` row.
 * - scope: what a run covers: the whole account (`full`), one location (`location`), or a range
 *   of appointment history (`backfill`).
 * - plan: the steps of a run; step: one unit of it (account, clients, a location, a chunk of
 *   dates, finish), run in this process or as one job.
 * - walk: reading TimeTap's lists during a step.
 * - entity: a location, staff member or service (a row of `locations`, `staff`, `services`);
 *   link: a row of `location_staff`, `location_services` or `staff_services`.
 * - tombstone: `deleted_at` set on a row that TimeTap showed to be gone (its own URL answered 404
 *   once a complete walk no longer listed it), or on a link a complete walk did not see.
 * - inactive: `inactive_at` set on a row the lists no longer show but whose own URL still answers.
 */

import { dateChunks } from '../dates.js';
import { createMemoryDeleteBudget, upsertLocations } from '../db/index.js';
import type { ChunkRecord } from './appointment-walk.js';
import { mapSettled } from './concurrency.js';
import { fullRunSteps, locationRunSteps, type Step, type StepKind, windowRange } from './plan.js';
import {
  beginRun,
  countersOf,
  failRun,
  type RunMeta,
  type RunTotals,
  type SyncRequest,
} from './run-record.js';
import { mergeStepResults } from './run-results.js';
import { addCounts, emptyStats, mergeStats, type RunStats } from './stats.js';
import {
  type AccountFindings,
  runAccountStep,
  runFinishStep,
  runStep,
  type StepContext,
  type StepDeps,
  type StepResult,
} from './steps.js';

export type { SyncRequest } from './run-record.js';

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

/** Steps done and planned, per kind. */
export type RunProgress = Partial<Record<StepKind, { done: number; total: number }>>;

export interface RunDeps extends StepDeps, RunMeta {
  /** Steps of a full run run at once (SYNC_LOCATION_CONCURRENCY). */
  locationConcurrency: number;
  onProgress?: (progress: RunProgress) => void;
}

/** Throws RunActiveError (nothing started) when a run of the same scope is alive. */
export async function runSync(deps: RunDeps, request: SyncRequest): Promise<SyncSummary> {
  const started = Date.now();
  const before = countersOf(deps.api);
  const { runId, location } = await beginRun(deps, request, deps);
  const run = { ...deps, logger: deps.logger.child({ runId, scope: request.scope }) };
  const stats = emptyStats();
  const chunks: ChunkRecord[] = [];
  const totals = (): RunTotals => ({ stats, counters: countersOf(deps.api, before), chunks });
  const summary = (status: SyncSummary['status'], reasons: string[]): SyncSummary => ({
    runId,
    ...request,
    status,
    stats,
    ...countersOf(deps.api, before),
    durationMs: Date.now() - started,
    reasons: reasons.map((r) => deps.redactor.scrub(r)),
  });
  try {
    if (location === undefined) {
      const account = await runAccountStep(run, runId);
      mergeStats(stats, account.stats);
      const window = windowRange(deps);
      const steps = fullRunSteps(
        account.snapshot.locationIds,
        dateChunks(window, deps.appointments.chunkDays),
      );
      const context = {
        runId,
        scope: 'full' as const,
        account,
        // Links are tombstoned per location, but guarded against the whole account's (db/delete-budget.ts).
        deleteBudget: createMemoryDeleteBudget(account.deleteLimits),
      };
      // The run records the dates it was to read, so that a chunk that failed shows as a gap.
      const withRange = () => ({ ...totals(), range: window });
      const { status, reasons } = await runPlan(run, context, steps, withRange, account.snapshot);
      return summary(status, reasons);
    }
    // A location sync: the location's own object (read to begin the run), then its one step,
    // whose tombstones are limited to the location's links.
    addCounts(
      stats,
      'locations',
      await upsertLocations(deps.db, [location], { logger: run.logger, account: deps.account.name, runId }),
    );
    const steps = locationRunSteps(location.id);
    const { status, reasons } = await runPlan(run, { runId, scope: 'location' }, steps, totals);
    return summary(status, reasons);
  } catch (error) {
    await failRun(run, runId, request.scope, error, totals());
    throw error;
  }
}

/**
 * The steps after the account step, a few at a time in plan order, then the finish; what they
 * count goes into `totals()` as they end, so that a failed run records it too.
 */
async function runPlan(
  deps: RunDeps,
  context: StepContext,
  steps: readonly Step[],
  totals: () => RunTotals,
  account?: AccountFindings['snapshot'],
): Promise<{ status: 'succeeded' | 'partial'; reasons: string[] }> {
  const { stats, chunks = [] } = totals();
  const progress = createProgress(steps, deps.onProgress);
  const results = fulfilled(
    await mapSettled(steps, deps.locationConcurrency, async (step) => {
      const result = await runStep(deps, step, context);
      mergeStats(stats, result.stats);
      if (result.read) chunks.push(result.read);
      progress.done(step);
      return result;
    }),
  );
  const merged = mergeStepResults({ ...(account ? { account: { snapshot: account } } : {}), results });
  return runFinishStep(deps, context, {
    account,
    locations: merged.locations,
    reasons: merged.reasons,
    totals,
  });
}

/** Counts each kind's steps as they end, and reports after each. */
function createProgress(steps: readonly Step[], report: RunDeps['onProgress']) {
  const progress: RunProgress = {};
  for (const step of steps) {
    const kind = progress[step.kind] ?? { done: 0, total: 0 };
    kind.total += 1;
    progress[step.kind] = kind;
  }
  report?.(progress);
  return {
    done(step: Step) {
      const kind = progress[step.kind];
      if (kind) kind.done += 1;
      report?.(progress);
    },
  };
}

/** The values of settled steps; a step's fatal error (keys refused, shutdown) stops the run. */
function fulfilled(results: PromiseSettledResult<StepResult>[]): StepResult[] {
  const fatal = results.find((r) => r.status === 'rejected');
  if (fatal?.status === 'rejected') throw fatal.reason;
  return results.map((r) => (r as PromiseFulfilledResult<StepResult>).value);
}
