/**
 * `appointment-event`: the appointment a webhook named, read at its own URL through the shared
 * client and budget, and stored (or tombstoned on 404). The job carries only the id and when the
 * webhook arrived; what the webhook's body said is never written.
 */
import type { Job } from 'bullmq';
import { refreshAppointment } from '../sync/appointment-event.js';
import { countersOf } from '../sync/run-record.js';
import type { JobData, JobResult } from './jobs.js';
import { accountOf, jobError, type ProcessorDeps, stepDeps } from './processor-deps.js';
import { recordWebhookEvent } from './webhook-events.js';

export async function processAppointmentEvent(
  job: Job<JobData<'appointment-event'>>,
  deps: ProcessorDeps,
): Promise<JobResult<'appointment-event'>> {
  const { calendarId, receivedAt } = job.data;
  const runtime = accountOf(deps, job.data.account);
  const api = runtime.createApi(deps.shutdown);
  const logger = deps.logger.child({ jobId: job.id, calendarId });
  let refresh: Awaited<ReturnType<typeof refreshAppointment>>;
  try {
    const steps = stepDeps(deps, runtime, api, logger);
    refresh = await refreshAppointment(steps, calendarId, new Date(receivedAt));
  } catch (error) {
    throw jobError(error, deps);
  }
  const lagMs = Math.max(0, Date.now() - receivedAt);
  logger.debug({ outcome: refresh.outcome, lagMs }, 'appointment event applied');
  await recordWebhookEvent(deps.redis, deps.queue, 'applied', {
    at: new Date().toISOString(),
    account: runtime.settings.account.name,
    calendarId,
    outcome: refresh.outcome,
    lagMs,
  }).catch((error: unknown) =>
    logger.warn({ err: String(error) }, 'could not record the last webhook event'),
  );
  return { ...refresh, lagMs, counters: countersOf(api) };
}
