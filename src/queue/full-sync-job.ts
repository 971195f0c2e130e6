/**
 * `full-sync`: a full sync fanned out over jobs, the steps of a run (src/sync/run-steps.ts) in the
 * places the queue gives them. Where it stands is kept in its own data, so that a job picked up
 * again after its worker died resumes where it stopped:
 *
 *   start    abandon the run of a dead earlier attempt, begin a run, the account step
 *   fan-out  one `location-walk` child per location, a `client-walk` child and one
 *            `appointment-chunk` child per chunk of the window (idempotent job ids), wait
 *   finish   collect the children's outcomes (failed children included), the finish step
 */
import { type Job, WaitingChildrenError } from 'bullmq';
import { finishRun } from '../db/index.js';
import { describeError, RunActiveError } from '../errors.js';
import { today } from '../sync/appointment-window.js';
import {
  accountStep,
  addCounters,
  beginRun,
  closeRun,
  emptyTotals,
  failRun,
  finishFullRun,
  locationReasons,
  type RunTotals,
  windowChunks,
} from '../sync/run-steps.js';
import { mergeStats } from '../sync/stats.js';
import { jobOptions } from './enqueue.js';
import {
  type AppointmentChunkResult,
  type ClientWalkResult,
  type FullSyncData,
  JOB,
  type JobData,
  type JobResult,
  type LocationWalkResult,
} from './jobs.js';
import { showChildProgress } from './location-job.js';
import { jobDataUpdater } from './owned-job-data.js';
import { countersOf, jobError, type ProcessorDeps, stepDeps } from './processor-deps.js';

type ChildResult = LocationWalkResult | ClientWalkResult | AppointmentChunkResult;

export async function processFullSync(
  job: Job<JobData<'full-sync'>>,
  token: string | undefined,
  deps: ProcessorDeps,
): Promise<JobResult<'full-sync'>> {
  const state = jobDataUpdater(deps, job, token);
  const update = state.update;
  let data = state.data();

  if ((data.step ?? 'start') === 'start') {
    const skipped = await start(job, deps, update);
    if (skipped) return skipped;
    data = state.data();
  }
  if (data.step === 'fan-out') {
    await fanOut(job, data, deps);
    await update({ step: 'finish' });
    data = state.data();
    if (token && (await job.moveToWaitingChildren(token))) throw new WaitingChildrenError();
  }
  return finish(job, data, deps);
}

async function start(
  job: Job<FullSyncData>,
  deps: ProcessorDeps,
  update: (patch: Partial<FullSyncData>) => Promise<void>,
): Promise<{ skipped: string } | undefined> {
  const { data } = job;
  if (data.runId !== undefined) {
    // This job ran before and its worker died mid-way: that run will never finish.
    const { stats, counters } = emptyTotals();
    await finishRun(deps.db, data.runId, {
      stats,
      ...counters,
      status: 'abandoned',
      error: 'the worker running it stopped; the job was picked up again',
    });
  }
  const client = deps.createClient(deps.shutdown);
  const steps = stepDeps(deps, client, deps.logger.child({ jobId: job.id }));
  let runId: number;
  try {
    ({ runId } = await beginRun(steps, { scope: 'full' }, meta(job, deps)));
  } catch (error) {
    // The scheduled sync and a manual one at once: one run, the other job has nothing to do.
    if (error instanceof RunActiveError) return { skipped: error.message };
    throw jobError(error, deps);
  }
  await update({ runId, step: 'start', startedAt: Date.now() });
  const logger = deps.logger.child({ jobId: job.id, runId });
  try {
    const { account, limits } = await accountStep({ ...steps, logger }, runId);
    const { locationIds, locationsComplete, staffIds, serviceIds, reasons, authoritative } = account;
    await update({
      step: 'fan-out',
      account: { locationIds, locationsComplete, staffIds, serviceIds, reasons, authoritative },
      accountStats: account.stats,
      accountCounters: countersOf(client),
      deleteLimits: limits,
    });
    return undefined;
  } catch (error) {
    await failRun({ ...steps, logger }, runId, 'full', error, {
      ...emptyTotals(),
      counters: countersOf(client),
    });
    throw jobError(error, deps);
  }
}

async function fanOut(job: Job<FullSyncData>, data: FullSyncData, deps: ProcessorDeps): Promise<void> {
  const runId = data.runId as number;
  const deleteLimits = data.deleteLimits ?? { location_staff: 0, location_services: 0, staff_services: 0 };
  const parent = { id: job.id as string, queue: job.queueQualifiedName };
  const opts = (jobId: string) => ({
    jobId,
    parent,
    ignoreDependencyOnFailure: true,
    ...jobOptions(deps.jobRetry),
    // Kept for a day: the parent reads their results when it finishes.
    removeOnComplete: { age: 24 * 3600, count: 100_000 },
  });
  // The window as of the day the run started: a resumed fan-out makes the same chunks.
  const chunks = windowChunks(deps, today(new Date(data.startedAt ?? Date.now())));
  // Adding a job whose id exists is a no-op, so a resumed fan-out never doubles a step.
  const children = [
    ...(data.account?.locationIds ?? []).map((locationId) => ({
      name: JOB.locationWalk,
      data: {
        runId,
        locationId,
        deleteLimits,
        ...(data.account?.authoritative ? { authoritative: data.account.authoritative } : {}),
      } satisfies JobData<'location-walk'>,
      opts: opts(`run${runId}-location${locationId}`),
    })),
    {
      name: JOB.clientWalk,
      data: { runId } satisfies JobData<'client-walk'>,
      opts: opts(`run${runId}-clients`),
    },
    ...chunks.map((range) => ({
      name: JOB.appointmentChunk,
      data: { runId, ...range } satisfies JobData<'appointment-chunk'>,
      opts: opts(`run${runId}-appointments${range.startDate}`),
    })),
  ];
  for (let i = 0; i < children.length; i += 500) await deps.queue.addBulk(children.slice(i, i + 500));
  await showChildProgress(job);
}

async function finish(
  job: Job<FullSyncData>,
  data: FullSyncData,
  deps: ProcessorDeps,
): Promise<JobResult<'full-sync'>> {
  const runId = data.runId as number;
  const account: NonNullable<FullSyncData['account']> = data.account ?? {
    locationIds: [],
    locationsComplete: false,
    staffIds: undefined,
    serviceIds: undefined,
    reasons: ['the account-wide walk left no data'],
  };
  const children = await job.getChildrenValues<ChildResult>();
  const values = Object.entries(children).flatMap(([key, v]) =>
    /location\d+$/.test(key) ? [v as LocationWalkResult] : [],
  );
  const others = Object.entries(children).flatMap(([key, v]) =>
    /location\d+$/.test(key) ? [] : [v as ClientWalkResult | AppointmentChunkResult],
  );
  const failures = await job.getIgnoredChildrenFailures();

  const totals: RunTotals = {
    stats: mergeStats(emptyTotals().stats, data.accountStats ?? {}),
    counters: addCounters(emptyTotals().counters, data.accountCounters),
  };
  for (const value of [...values, ...others]) {
    mergeStats(totals.stats, value.stats);
    totals.counters = addCounters(totals.counters, value.counters);
  }
  totals.chunks = others.flatMap((o) => ('read' in o && o.read ? [o.read] : []));
  const walked = new Set(values.map((v) => v.locationId));
  const failed = account.locationIds
    .filter((id) => !walked.has(id))
    .map((locationId) => ({
      locationId,
      status: 'failed' as const,
      seenStaff: [],
      seenServices: [],
      reasons: [],
    }));
  const failureReasons = [
    ...others.flatMap((o) => o.reasons),
    ...Object.entries(failures).map(([key, message]) => `${stepOf(key)}: ${message}`),
  ];

  // The confirmations of unseen rows (account-tombstones.ts) are calls of this run too.
  const client = deps.createClient(deps.shutdown);
  const logger = deps.logger.child({ jobId: job.id, runId });
  const steps = { ...stepDeps(deps, client, logger) };
  const withFinishCalls = () => ({ ...totals, counters: addCounters(totals.counters, countersOf(client)) });
  let outcome: { status: 'succeeded' | 'partial'; reasons: string[] };
  try {
    outcome = await finishFullRun(steps, runId, {
      account,
      locations: [...values, ...failed],
      failures: failureReasons,
      totals: withFinishCalls,
    });
  } catch (error) {
    // Shutdown: this step runs again in the next worker. Anything else closes the run `partial`.
    if (deps.shutdown.aborted) throw jobError(error, deps);
    const reasons = [
      ...account.reasons,
      ...locationReasons(values),
      ...failureReasons,
      `account-wide tombstones stopped: ${describeError(error)}`,
    ];
    await closeRun(steps, runId, { scope: 'full', status: 'partial', reasons, totals: withFinishCalls() });
    outcome = { status: 'partial', reasons: reasons.map((r) => deps.redactor.scrub(r)) };
  }
  await showChildProgress(job);
  logger.info(
    { status: outcome.status, locations: account.locationIds.length, failed: failed.length },
    'full sync finished',
  );
  const durationMs = Date.now() - (data.startedAt ?? Date.now());
  return { runId, scope: 'full', stats: totals.stats, durationMs, ...outcome };
}

/** A child job's key names its step: `...run12-location1001`, `...run12-clients`, `...run12-appointments2026-01-05`. */
function stepOf(key: string): string {
  const location = /location(\d+)$/.exec(key)?.[1];
  if (location) return `location ${location}`;
  const chunk = /appointments(\d{4}-\d{2}-\d{2})$/.exec(key)?.[1];
  if (chunk) return `appointments from ${chunk}`;
  return key.endsWith('-clients') ? 'clients' : key;
}

function meta(job: Job, deps: ProcessorDeps) {
  return {
    trigger: (job.data as FullSyncData).trigger,
    workerId: deps.workerId,
    ...(job.id ? { jobId: job.id } : {}),
  };
}
