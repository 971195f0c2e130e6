/**
 * `client-walk` and `appointment-chunk`: the client step and one chunk of the window of
 * appointments of a full sync (src/sync/run-steps.ts), each a child of the `full-sync` job and
 * retried by itself. A chunk that keeps failing leaves its range untouched; the run ends `partial`.
 */
import { type Job, UnrecoverableError } from 'bullmq';
import { recordCompletedChunk } from '../db/index.js';
import { appointmentChunkStep, clientStep } from '../sync/run-steps.js';
import type { JobData, JobResult } from './jobs.js';
import { countersOf, jobError, type ProcessorDeps, stepDeps } from './processor-deps.js';

export async function processClientWalk(
  job: Job<JobData<'client-walk'>>,
  deps: ProcessorDeps,
): Promise<JobResult<'client-walk'>> {
  const { runId } = job.data;
  const client = deps.createClient(deps.shutdown);
  const logger = deps.logger.child({ jobId: job.id, runId, step: 'clients' });
  let outcome: Awaited<ReturnType<typeof clientStep>>;
  try {
    outcome = await clientStep(stepDeps(deps, client, logger), runId);
  } catch (error) {
    throw jobError(error, deps);
  }
  if (outcome.status === 'failed') throw failure(outcome.reasons, outcome.retryable, deps);
  const { retryable: _retryable, ...result } = outcome;
  return { ...result, counters: countersOf(client) };
}

export async function processAppointmentChunk(
  job: Job<JobData<'appointment-chunk'>>,
  deps: ProcessorDeps,
): Promise<JobResult<'appointment-chunk'>> {
  const { runId, startDate, endDate } = job.data;
  const client = deps.createClient(deps.shutdown);
  const logger = deps.logger.child({ jobId: job.id, runId, chunk: `${startDate}..${endDate}` });
  let outcome: Awaited<ReturnType<typeof appointmentChunkStep>>;
  try {
    outcome = await appointmentChunkStep(stepDeps(deps, client, logger), runId, { startDate, endDate });
  } catch (error) {
    throw jobError(error, deps);
  }
  if (outcome.status === 'failed') throw failure(outcome.reasons, outcome.retryable, deps);
  // A backfill's chunk, once read completely, is not read again by a later backfill.
  if (job.data.backfill && outcome.status === 'complete' && outcome.read) {
    await recordCompletedChunk(deps.db, { startDate, endDate }, { runId, ...outcome.read });
  }
  const { retryable: _retryable, ...result } = outcome;
  return { ...result, counters: countersOf(client) };
}

/** Thrown so that BullMQ retries the step by itself; after its last attempt the parent sees it. */
function failure(reasons: string[], retryable: boolean, deps: ProcessorDeps): Error {
  const reason = deps.redactor.scrub(reasons.join('; '));
  return retryable ? new Error(reason) : new UnrecoverableError(reason);
}
