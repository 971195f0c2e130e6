/**
 * `location-walk` (one location inside a full sync) and `location-sync` (an on-demand sync of one
 * location, with its own run).
 */
import { Job, type Queue, UnrecoverableError } from 'bullmq';
import { findActiveRun } from '../db/active-runs.js';
import { heartbeatRun } from '../db/index.js';
import { walkLocation } from '../sync/location-walk.js';
import { runSync, type SyncSummary } from '../sync/run-sync.js';
import {
  JOB,
  type LocationSyncData,
  type LocationWalkData,
  type LocationWalkResult,
  type SkippedResult,
} from './jobs.js';
import { countersOf, jobError, type ProcessorDeps } from './processor-deps.js';

export async function processLocationWalk(
  job: Job<LocationWalkData>,
  deps: ProcessorDeps,
): Promise<LocationWalkResult> {
  const { runId, locationId } = job.data;
  const logger = deps.logger.child({ jobId: job.id, runId, locationId });
  await heartbeatRun(deps.db, runId);
  const client = deps.createClient(deps.shutdown);
  let outcome: Awaited<ReturnType<typeof walkLocation>>;
  try {
    const { deleteLimits } = job.data;
    const guard = deleteLimits
      ? { ...deps.guard, budget: deps.createDeleteBudget(runId, deleteLimits) }
      : deps.guard;
    outcome = await walkLocation({ ...deps, client, logger, guard }, locationId);
    await heartbeatRun(deps.db, runId);
  } catch (error) {
    throw jobError(error, deps);
  }
  if (outcome.status === 'failed') {
    const reason = deps.redactor.scrub(outcome.reasons.join('; '));
    logger.warn(
      { attempt: job.attemptsMade + 1, retryable: outcome.retryable },
      `location failed: ${reason}`,
    );
    // Thrown so that BullMQ retries this location by itself; after its last attempt the parent
    // sees the failure and the run ends `partial`.
    throw outcome.retryable ? new Error(reason) : new UnrecoverableError(reason);
  }
  const { stats, status, reasons, seenStaff, seenServices } = outcome;
  return { locationId, status, reasons, seenStaff, seenServices, stats, counters: countersOf(client) };
}

export async function processLocationSync(
  job: Job<LocationSyncData>,
  deps: ProcessorDeps,
): Promise<SyncSummary | SkippedResult> {
  const { locationId, trigger } = job.data;
  const active = await findActiveRun(
    deps.db,
    { scope: 'location', locationId },
    { freshWithinMs: deps.staleRunMs },
  );
  if (active !== undefined)
    return { skipped: `location ${locationId} is already being synced by run ${active}` };
  const client = deps.createClient(deps.shutdown);
  try {
    const summary = await runSync(
      { ...deps, client, trigger, ...(job.id ? { jobId: job.id } : {}) },
      { scope: 'location', locationId },
    );
    await job.updateProgress({ done: 1, total: 1 });
    return summary;
  } catch (error) {
    throw jobError(error, deps);
  }
}

/**
 * Shows a full sync's progress (locations done / total) on its parent job, where the dashboard
 * and `status` see it. Called after each location; the count comes from BullMQ's own record of
 * the parent's dependencies, so concurrent children cannot miscount.
 */
export async function reportParentProgress(job: Job, queue: Queue): Promise<void> {
  const parentId = job.parent?.id;
  if (job.name !== JOB.locationWalk || !parentId) return;
  const parent = await Job.fromId(queue, parentId);
  if (!parent) return;
  const counts = await parent.getDependenciesCount();
  const done = (counts.processed ?? 0) + (counts.ignored ?? 0) + (counts.failed ?? 0);
  await parent.updateProgress({ done, total: done + (counts.unprocessed ?? 0) });
}
