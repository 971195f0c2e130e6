/**
 * `client-walk`, `location-walk`, `appointment-chunk`: one step of a run's plan (src/sync/steps.ts)
 * as a child of the run's job, retried by itself. A step that keeps failing leaves what it covers
 * untouched; after its last attempt the parent sees the failure and the run ends `partial`.
 */
import { type Job, UnrecoverableError } from 'bullmq';
import { stepLabel } from '../sync/plan.js';
import { countersOf } from '../sync/run-record.js';
import { runStep } from '../sync/steps.js';
import type { StepData, StepJobResult } from './jobs.js';
import { accountOf, jobError, type ProcessorDeps, stepDeps } from './processor-deps.js';

export async function processStep(job: Job<StepData>, deps: ProcessorDeps): Promise<StepJobResult> {
  const { runId, scope, step, found } = job.data;
  const runtime = accountOf(deps, job.data.account);
  const api = runtime.createApi(deps.shutdown);
  const logger = deps.logger.child({ jobId: job.id, runId, step: stepLabel(step) });
  let result: Awaited<ReturnType<typeof runStep>>;
  try {
    result = await runStep(stepDeps(deps, runtime, api, logger), step, {
      runId,
      scope,
      ...(found
        ? {
            account: { authoritative: found.authoritative },
            deleteBudget: runtime.createDeleteBudget(runId, found.deleteLimits),
          }
        : {}),
    });
  } catch (error) {
    throw jobError(error, deps);
  }
  if (result.status === 'failed') {
    const reason = deps.redactor.scrub(result.reasons.join('; '));
    logger.warn({ attempt: job.attemptsMade + 1, retryable: result.retryable }, `step failed: ${reason}`);
    throw result.retryable ? new Error(reason) : new UnrecoverableError(reason);
  }
  const { retryable: _retryable, ...value } = result;
  return { ...value, counters: countersOf(api) };
}
