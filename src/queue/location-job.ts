/**
 * `location-sync`: an on-demand sync of one location, with its own run: the same as
 * `timetap-sync sync --location`, run in the worker.
 */
import type { Job } from 'bullmq';
import { RunActiveError } from '../errors.js';
import { runSync } from '../sync/run-sync.js';
import type { JobData, JobResult } from './jobs.js';
import { accountOf, jobError, type ProcessorDeps, stepDeps } from './processor-deps.js';

export async function processLocationSync(
  job: Job<JobData<'location-sync'>>,
  deps: ProcessorDeps,
): Promise<JobResult<'location-sync'>> {
  const { locationId, trigger } = job.data;
  const runtime = accountOf(deps, job.data.account);
  const api = runtime.createApi(deps.shutdown);
  const logger = deps.logger.child({ jobId: job.id, locationId });
  try {
    const summary = await runSync(
      {
        ...stepDeps(deps, runtime, api, logger),
        locationConcurrency: runtime.settings.locationConcurrency,
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
