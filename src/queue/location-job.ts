/**
 * `location-walk` (the location step of a full sync) and `location-sync` (an on-demand sync of one
 * location, with its own run: the same steps as `timetap-sync sync --location`).
 */
import { Job, type Queue, UnrecoverableError } from 'bullmq';
import { RunActiveError } from '../errors.js';
import { locationStep } from '../sync/run-steps.js';
import { runSync } from '../sync/run-sync.js';
import { JOB, type JobData, type JobResult } from './jobs.js';
import { countersOf, jobError, type ProcessorDeps, stepDeps } from './processor-deps.js';

export async function processLocationWalk(
  job: Job<JobData<'location-walk'>>,
  deps: ProcessorDeps,
): Promise<JobResult<'location-walk'>> {
  const { runId, locationId, deleteLimits, authoritative } = job.data;
  const logger = deps.logger.child({ jobId: job.id, runId, locationId });
  const client = deps.createClient(deps.shutdown);
  let outcome: Awaited<ReturnType<typeof locationStep>>;
  try {
    const budget = deps.createDeleteBudget(runId, deleteLimits);
    outcome = await locationStep(stepDeps(deps, client, logger), runId, locationId, budget, authoritative);
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
  const { retryable: _retryable, ...result } = outcome;
  return { ...result, counters: countersOf(client) };
}

export async function processLocationSync(
  job: Job<JobData<'location-sync'>>,
  deps: ProcessorDeps,
): Promise<JobResult<'location-sync'>> {
  const { locationId, trigger } = job.data;
  const client = deps.createClient(deps.shutdown);
  const logger = deps.logger.child({ jobId: job.id, locationId });
  try {
    const summary = await runSync(
      {
        ...stepDeps(deps, client, logger),
        locationConcurrency: deps.locationConcurrency,
        trigger,
        workerId: deps.workerId,
        ...(job.id ? { jobId: job.id } : {}),
      },
      { scope: 'location', locationId },
    );
    await job.updateProgress({ done: 1, total: 1 });
    return summary;
  } catch (error) {
    // Two requests for the same location at once give one run: the second has nothing to do.
    if (error instanceof RunActiveError) return { skipped: error.message };
    throw jobError(error, deps);
  }
}

/**
 * Shows a parent job's progress (child jobs done / total) where the dashboard, `status` and
 * `backfill --wait` see it. Called after each child; the count comes from BullMQ's own record of
 * the parent's dependencies, so concurrent children cannot miscount.
 */
export async function reportParentProgress(job: Job, queue: Queue): Promise<void> {
  const parentId = job.parent?.id;
  const child =
    job.name === JOB.locationWalk || job.name === JOB.appointmentChunk || job.name === JOB.clientWalk;
  if (!child || !parentId) return;
  const parent = await Job.fromId(queue, parentId);
  if (parent) await showChildProgress(parent);
}

/**
 * A backfill also counts, as done, the chunks it skipped because an earlier one had read them
 * (`data`: the parent's data as its own processor knows it, fresher than the `Job` it was given).
 */
export async function showChildProgress(
  parent: Job,
  data: { skipped?: unknown } = parent.data,
): Promise<void> {
  const counts = await parent.getDependenciesCount();
  const skipped = typeof data?.skipped === 'number' ? data.skipped : 0;
  const done = skipped + (counts.processed ?? 0) + (counts.ignored ?? 0) + (counts.failed ?? 0);
  await parent.updateProgress({ done, total: done + (counts.unprocessed ?? 0) });
}
