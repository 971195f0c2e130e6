/**
 * `full-sync`: the parent of a fanned-out full sync. It moves through three steps, recorded in
 * its own data so that a job picked up again after its worker died resumes where it stopped:
 *
 *   start    abandon the run of a dead earlier attempt, start a run, walk the account-wide lists
 *   fan-out  add one `location-walk` child per location (idempotent job ids), wait for them
 *   finish   collect the children's results (failed children included), tombstone account-wide
 *            if every location completed, close the run
 */
import { type Job, WaitingChildrenError } from 'bullmq';
import { startRunIfIdle } from '../db/active-runs.js';
import { countActiveRows, finishRun, heartbeatRun, linkDeleteLimits } from '../db/index.js';
import { describeError } from '../errors.js';
import { type LocationResult, tombstoneAccount } from '../sync/account-tombstones.js';
import { walkAccount } from '../sync/account-walk.js';
import { locationReasons, type RunStatus } from '../sync/run-sync.js';
import { emptyStats, mergeStats, type SyncStats } from '../sync/stats.js';
import { jobOptions } from './enqueue.js';
import {
  type FullSyncData,
  JOB,
  type LocationWalkData,
  type LocationWalkResult,
  type SkippedResult,
} from './jobs.js';
import { LockLostError, updateOwnedJobData } from './owned-job-data.js';
import { addCounters, countersOf, jobError, type ProcessorDeps } from './processor-deps.js';

export interface FullSyncResult {
  runId: number;
  scope: 'full';
  status: RunStatus;
  stats: SyncStats;
  durationMs: number;
  reasons: string[];
}

export async function processFullSync(
  job: Job<FullSyncData>,
  token: string | undefined,
  deps: ProcessorDeps,
): Promise<FullSyncResult | SkippedResult> {
  let data = job.data;
  const update = async (patch: Partial<FullSyncData>) => {
    data = { ...data, ...patch };
    // Only while this attempt holds the job: see owned-job-data.ts.
    if (!token) return job.updateData(data);
    try {
      await updateOwnedJobData(deps.redis, deps.queue, job, token, data);
    } catch (error) {
      if (error instanceof LockLostError)
        deps.logger.warn(
          { jobId: job.id, runId: data.runId },
          'lost the job to another worker; this attempt stops',
        );
      throw error;
    }
  };

  if ((data.step ?? 'start') === 'start') {
    const skipped = await start(job, deps, update);
    if (skipped) return skipped;
  }
  if (data.step === 'fan-out') {
    await fanOut(job, data, deps);
    await update({ step: 'finish' });
    if (token && (await job.moveToWaitingChildren(token))) throw new WaitingChildrenError();
  }
  return finish(job, data, deps);
}

async function start(
  job: Job<FullSyncData>,
  deps: ProcessorDeps,
  update: (patch: Partial<FullSyncData>) => Promise<void>,
): Promise<SkippedResult | undefined> {
  const { data } = job;
  if (data.runId !== undefined) {
    // This job ran before and its worker died mid-way: that run will never finish.
    await finishRun(deps.db, data.runId, {
      ...emptyRunTotals(),
      status: 'abandoned',
      error: 'the worker running it stopped; the job was picked up again',
    });
  }
  const started = await startRunIfIdle(
    deps.db,
    { scope: 'full', trigger: data.trigger, ...(job.id ? { jobId: job.id } : {}), workerId: deps.workerId },
    { freshWithinMs: deps.staleRunMs },
  );
  if ('activeRunId' in started)
    return { skipped: `a full sync is already running (run ${started.activeRunId})` };
  const { runId } = started;
  await update({ runId, step: 'start', startedAt: Date.now() });
  const client = deps.createClient(deps.shutdown);
  const logger = deps.logger.child({ jobId: job.id, runId });
  try {
    const account = await walkAccount({ client, db: deps.db, logger });
    const { locationIds, locationsComplete, staffIds, serviceIds, reasons } = account;
    await update({
      step: 'fan-out',
      account: { locationIds, locationsComplete, staffIds, serviceIds, reasons },
      accountStats: account.stats,
      accountCounters: countersOf(client),
      deleteLimits: await linkDeleteLimits(deps.db, deps.guard.ratio),
    });
    await job.updateProgress({ done: 0, total: locationIds.length });
    return undefined;
  } catch (error) {
    await finishRun(deps.db, runId, {
      ...emptyRunTotals(),
      ...countersOf(client),
      status: 'failed',
      error: deps.redactor.scrub(describeError(error)),
    });
    throw jobError(error, deps);
  }
}

async function fanOut(job: Job<FullSyncData>, data: FullSyncData, deps: ProcessorDeps): Promise<void> {
  const runId = data.runId as number;
  const locationIds = data.account?.locationIds ?? [];
  const parent = { id: job.id as string, queue: job.queueQualifiedName };
  // Adding a job whose id exists is a no-op, so a resumed fan-out never doubles a location.
  const children = locationIds.map((locationId) => ({
    name: JOB.locationWalk,
    data: {
      runId,
      locationId,
      ...(data.deleteLimits ? { deleteLimits: data.deleteLimits } : {}),
    } satisfies LocationWalkData,
    opts: {
      jobId: `run${runId}-location${locationId}`,
      parent,
      ignoreDependencyOnFailure: true,
      ...jobOptions(deps.jobRetry),
      // Kept for a day: the parent reads their results when it finishes.
      removeOnComplete: { age: 24 * 3600, count: 100_000 },
    },
  }));
  for (let i = 0; i < children.length; i += 500) await deps.queue.addBulk(children.slice(i, i + 500));
  await heartbeatRun(deps.db, runId);
}

async function finish(
  job: Job<FullSyncData>,
  data: FullSyncData,
  deps: ProcessorDeps,
): Promise<FullSyncResult> {
  const runId = data.runId as number;
  const account: NonNullable<FullSyncData['account']> = data.account ?? {
    locationIds: [],
    locationsComplete: false,
    staffIds: undefined,
    serviceIds: undefined,
    reasons: ['the account-wide walk left no data'],
  };
  const values = Object.values(await job.getChildrenValues<LocationWalkResult>());
  const failures = await job.getIgnoredChildrenFailures();

  const stats = mergeStats(emptyStats(), data.accountStats ?? {});
  let counters = addCounters(emptyRunTotals(), data.accountCounters);
  const completed = new Map<number, LocationResult>();
  for (const value of values) {
    mergeStats(stats, value.stats);
    counters = addCounters(counters, value.counters);
    completed.set(value.locationId, value);
  }
  const failed = account.locationIds.filter((id) => !completed.has(id));
  const failedResults: LocationResult[] = failed.map((locationId) => ({
    locationId,
    status: 'failed',
    seenStaff: [],
    seenServices: [],
  }));
  const failureReasons = Object.entries(failures).map(([key, message]) => {
    const id = /location(\d+)$/.exec(key)?.[1] ?? key;
    return `location ${id}: ${deps.redactor.scrub(message)}`;
  });
  const results = [...completed.values(), ...failedResults];

  const reasons = [...(account.reasons ?? []), ...locationReasons(values), ...failureReasons];
  // The confirmations of unseen rows (account-tombstones.ts) are calls of this run too.
  const client = deps.createClient(deps.shutdown);
  try {
    const logger = deps.logger.child({ runId });
    reasons.push(...(await tombstoneAccount({ ...deps, client, logger }, account, results, stats)));
  } catch (error) {
    // Shutdown: this step runs again in the next worker. Anything else closes the run `partial`.
    if (deps.shutdown.aborted) throw jobError(error, deps);
    reasons.push(`account-wide tombstones stopped: ${deps.redactor.scrub(describeError(error))}`);
  } finally {
    counters = addCounters(counters, countersOf(client));
  }
  const status: RunStatus = reasons.length === 0 ? 'succeeded' : 'partial';
  await finishRun(deps.db, runId, {
    status,
    stats,
    ...counters,
    ...(reasons.length > 0 ? { error: reasons.join('\n') } : {}),
    activeRows: await countActiveRows(deps.db),
  });
  await job.updateProgress({ done: values.length + failed.length, total: account.locationIds.length });
  deps.logger.info(
    { runId, status, locations: account.locationIds.length, failed: failed.length },
    'full sync finished',
  );
  const durationMs = Date.now() - (data.startedAt ?? Date.now());
  return { runId, scope: 'full', status, stats, durationMs, reasons };
}

function emptyRunTotals() {
  return { stats: emptyStats(), apiCalls: 0, retries: 0, relogins: 0 };
}
