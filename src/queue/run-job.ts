/**
 * `full-sync` and `backfill`: a run of its plan (src/sync/plan.ts) over jobs. The parent job begins
 * the run (a full sync also takes the account step), adds one child job per step of the plan,
 * waits for them, and finishes the run from their results (failed children included). Where it
 * stands is kept in its own data, so that a job picked up again after its worker died resumes:
 *
 *   start    (a full sync: abandon the run of a dead earlier attempt) begin a run; the account step
 *   fan-out  one child job per step, with idempotent job ids; wait for them
 *   finish   merge the children's results (src/sync/run-results.ts), the finish step
 *
 * A backfill keeps its run across attempts: each chunk it completes is recorded at once, so a
 * worker killed in the middle costs only the chunks under way.
 */
import { type Job, WaitingChildrenError } from 'bullmq';
import { dateChunks, today } from '../dates.js';
import { completedChunks, finishRun, forgetChunks } from '../db/index.js';
import { describeError, RunActiveError } from '../errors.js';
import {
  backfillSteps,
  fullRunSteps,
  type PlanScope,
  type Step,
  stepKey,
  stepLabel,
  windowChunks,
  windowRange,
} from '../sync/plan.js';
import { addCounters, beginRun, closeRun, countersOf, emptyTotals, failRun } from '../sync/run-record.js';
import { mergeStepResults, type StepFailure } from '../sync/run-results.js';
import { type AccountFindings, runAccountStep, runFinishStep } from '../sync/steps.js';
import { BACKFILL_PRIORITY } from './account-fairness.js';
import { jobOptions } from './enqueue.js';
import {
  type BackfillData,
  type FullSyncData,
  type JobResult,
  STEP_JOB,
  type StepData,
  type StepJobResult,
} from './jobs.js';
import { jobDataUpdater } from './owned-job-data.js';
import { showChildProgress } from './parent-progress.js';
import { type AccountRuntime, accountOf, jobError, type ProcessorDeps, stepDeps } from './processor-deps.js';

type Update<D> = (patch: Partial<D>) => Promise<void>;

export async function processFullSync(
  job: Job<FullSyncData>,
  token: string | undefined,
  deps: ProcessorDeps,
): Promise<JobResult<'full-sync'>> {
  const runtime = accountOf(deps, job.data.account);
  const state = jobDataUpdater(deps, job, token);
  if ((state.data().step ?? 'start') === 'start') {
    const skipped = await startFullSync(job, deps, runtime, state.update);
    if (skipped) return skipped;
  }
  const data = state.data();
  // The window as of the day the run started: a resumed fan-out makes the same chunks.
  const steps = fullRunSteps(
    data.found?.snapshot.locationIds ?? [],
    windowChunks(runtime.settings, startDay(data)),
  );
  if (data.step === 'fan-out') {
    await fanOut(job, deps, { runId: data.runId as number, scope: 'full', steps, found: data.found });
    await state.update({ step: 'finish' });
    if (token && (await job.moveToWaitingChildren(token))) throw new WaitingChildrenError();
  }
  return finishFullSync(job, state.data(), deps, runtime, steps);
}

export async function processBackfill(
  job: Job<BackfillData>,
  token: string | undefined,
  deps: ProcessorDeps,
): Promise<JobResult<'backfill'>> {
  const runtime = accountOf(deps, job.data.account);
  const state = jobDataUpdater(deps, job, token);
  const { from, to } = job.data;
  const chunks = dateChunks({ startDate: from, endDate: to }, runtime.settings.appointments.chunkDays);
  if ((state.data().step ?? 'start') === 'start') {
    const skipped = await startBackfill(job, deps, runtime, state.update);
    if (skipped) return skipped;
  }
  if (state.data().step === 'fan-out') {
    const done = await completedChunks(deps.db, runtime.settings.account.name, chunks);
    const steps = backfillSteps(chunks.filter((c) => !done.has(c.startDate)));
    await fanOut(job, deps, { runId: state.data().runId as number, scope: 'backfill', steps });
    await state.update({ step: 'finish', skipped: done.size });
    await showChildProgress(job, state.data());
    if (token && (await job.moveToWaitingChildren(token))) throw new WaitingChildrenError();
  }
  return finishBackfill(job, state.data(), deps, runtime, backfillSteps(chunks));
}

async function startFullSync(
  job: Job<FullSyncData>,
  deps: ProcessorDeps,
  runtime: AccountRuntime,
  update: Update<FullSyncData>,
): Promise<{ skipped: string } | undefined> {
  if (job.data.runId !== undefined) {
    // This job ran before and its worker died mid-way: that run will never finish.
    const { stats, counters } = emptyTotals();
    await finishRun(deps.db, job.data.runId, {
      stats,
      ...counters,
      status: 'abandoned',
      error: 'the worker running it stopped; the job was picked up again',
    });
  }
  const api = runtime.createApi(deps.shutdown);
  const steps = stepDeps(deps, runtime, api, deps.logger.child({ jobId: job.id }));
  const runId = await begin(job, deps, steps, 'full');
  if (typeof runId !== 'number') return runId;
  await update({ runId, step: 'start', startedAt: Date.now() });
  const logged = { ...steps, logger: deps.logger.child({ jobId: job.id, runId }) };
  try {
    const found = await runAccountStep(logged, runId);
    await update({ step: 'fan-out', found, accountCounters: countersOf(api) });
    return undefined;
  } catch (error) {
    await failRun(logged, runId, 'full', error, { ...emptyTotals(), counters: countersOf(api) });
    throw jobError(error, deps);
  }
}

async function startBackfill(
  job: Job<BackfillData>,
  deps: ProcessorDeps,
  runtime: AccountRuntime,
  update: Update<BackfillData>,
): Promise<{ skipped: string } | undefined> {
  const { from, to, again } = job.data;
  if (job.data.runId === undefined) {
    const steps = stepDeps(
      deps,
      runtime,
      runtime.createApi(deps.shutdown),
      deps.logger.child({ jobId: job.id }),
    );
    const runId = await begin(job, deps, steps, 'backfill');
    if (typeof runId !== 'number') return runId;
    // Before the run id is recorded: a retry of this step has a run id, and keeps what it read.
    if (again) await forgetChunks(deps.db, runtime.settings.account.name, { startDate: from, endDate: to });
    await update({ runId, startedAt: Date.now() });
  }
  await update({ step: 'fan-out' });
  return undefined;
}

/** Begins the job's run; another run of its scope alive means this job has nothing to do. */
async function begin(
  job: Job<FullSyncData> | Job<BackfillData>,
  deps: ProcessorDeps,
  steps: Parameters<typeof beginRun>[0],
  scope: 'full' | 'backfill',
): Promise<number | { skipped: string }> {
  try {
    const { runId } = await beginRun(
      steps,
      { scope },
      { trigger: job.data.trigger, workerId: deps.workerId, ...(job.id ? { jobId: job.id } : {}) },
    );
    return runId;
  } catch (error) {
    // The scheduled sync and a manual one at once: one run, the other job has nothing to do.
    if (error instanceof RunActiveError) return { skipped: error.message };
    throw jobError(error, deps);
  }
}

/** One child job per step; adding a job whose id exists is a no-op, so a resumed fan-out never doubles one. */
async function fanOut(
  job: Job,
  deps: ProcessorDeps,
  run: { runId: number; scope: PlanScope; steps: readonly Step[]; found?: AccountFindings | undefined },
): Promise<void> {
  const parent = { id: job.id as string, queue: job.queueQualifiedName };
  const { runId, scope, found } = run;
  const children = run.steps.map((step) => ({
    name: STEP_JOB[step.kind],
    data: {
      ...(job.data.account ? { account: job.data.account } : {}),
      runId,
      scope,
      step,
      ...(found ? { found: { authoritative: found.authoritative, deleteLimits: found.deleteLimits } } : {}),
    } satisfies StepData,
    opts: {
      jobId: stepJobId(runId, scope, step),
      parent,
      ignoreDependencyOnFailure: true,
      ...jobOptions(deps.jobRetry),
      // Several accounts: a backfill's chunks wait behind the others' syncs (account-fairness.ts).
      ...(scope === 'backfill' && deps.accounts.length > 1 ? { priority: BACKFILL_PRIORITY } : {}),
      // Kept for a day: the parent reads their results when it finishes.
      removeOnComplete: { age: 24 * 3600, count: 100_000 },
    },
  }));
  for (let i = 0; i < children.length; i += 500) await deps.queue.addBulk(children.slice(i, i + 500));
  await showChildProgress(job);
}

async function finishFullSync(
  job: Job<FullSyncData>,
  data: FullSyncData,
  deps: ProcessorDeps,
  runtime: AccountRuntime,
  steps: readonly Step[],
): Promise<JobResult<'full-sync'>> {
  const runId = data.runId as number;
  const found: Pick<AccountFindings, 'snapshot' | 'stats'> = data.found ?? {
    snapshot: {
      locationIds: [],
      locationsComplete: false,
      staffIds: undefined,
      serviceIds: undefined,
      reasons: ['the account-wide walk left no data'],
    },
    stats: emptyTotals().stats,
  };
  const children = await childOutcomes(job, runId, 'full', steps);
  const merged = mergeStepResults({ account: found, ...children, counters: data.accountCounters });

  // The confirmations of unseen rows (account-tombstones.ts) are calls of this run too.
  const api = runtime.createApi(deps.shutdown);
  const logger = deps.logger.child({ jobId: job.id, runId });
  const finishDeps = stepDeps(deps, runtime, api, logger);
  const totals = () => ({
    ...merged.totals,
    counters: addCounters(merged.totals.counters, countersOf(api)),
    range: windowRange(runtime.settings, startDay(data)),
  });
  const context = { runId, scope: 'full' as const };
  let outcome: { status: 'succeeded' | 'partial'; reasons: string[] };
  try {
    outcome = await runFinishStep(finishDeps, context, {
      account: found.snapshot,
      locations: merged.locations,
      reasons: merged.reasons,
      totals,
    });
  } catch (error) {
    // Shutdown: this step runs again in the next worker. Anything else closes the run `partial`.
    if (deps.shutdown.aborted) throw jobError(error, deps);
    const reasons = [...merged.reasons, `account-wide tombstones stopped: ${describeError(error)}`];
    await closeRun(finishDeps, runId, { scope: 'full', status: 'partial', reasons, totals: totals() });
    outcome = { status: 'partial', reasons: reasons.map((r) => deps.redactor.scrub(r)) };
  }
  await showChildProgress(job);
  const failed = merged.locations.filter((l) => l.status === 'failed').length;
  logger.info({ status: outcome.status, locations: merged.locations.length, failed }, 'full sync finished');
  const durationMs = Date.now() - (data.startedAt ?? Date.now());
  return { runId, scope: 'full', stats: merged.totals.stats, durationMs, ...outcome };
}

async function finishBackfill(
  job: Job<BackfillData>,
  data: BackfillData,
  deps: ProcessorDeps,
  runtime: AccountRuntime,
  steps: readonly Step[],
): Promise<JobResult<'backfill'>> {
  const runId = data.runId as number;
  const children = await childOutcomes(job, runId, 'backfill', steps);
  const merged = mergeStepResults(children);
  const { reasons } = merged;
  const totals = { ...merged.totals, range: { startDate: job.data.from, endDate: job.data.to } };
  const api = runtime.createApi(deps.shutdown);
  const finishDeps = stepDeps(deps, runtime, api, deps.logger.child({ jobId: job.id, runId }));
  const outcome = await runFinishStep(
    finishDeps,
    { runId, scope: 'backfill' },
    { reasons, totals: () => totals },
  );
  const skipped = data.skipped ?? 0;
  await showChildProgress(job, data);
  return {
    runId,
    scope: 'backfill',
    ...outcome,
    chunks: skipped + children.results.length + children.failures.length,
    skipped,
    stats: totals.stats,
    durationMs: Date.now() - (data.startedAt ?? Date.now()),
  };
}

/**
 * The children's results, and the steps whose job failed for good: BullMQ names a failed child by
 * its key only, which is looked up among the keys of the steps the plan may have (never parsed).
 */
async function childOutcomes(
  job: Job,
  runId: number,
  scope: PlanScope,
  planned: readonly Step[],
): Promise<{ results: StepJobResult[]; failures: StepFailure[] }> {
  const byKey = new Map(
    planned.map((step) => [`${job.queueQualifiedName}:${stepJobId(runId, scope, step)}`, step]),
  );
  const results = Object.values(await job.getChildrenValues<StepJobResult>());
  const failures = Object.entries(await job.getIgnoredChildrenFailures()).map(
    ([key, message]): StepFailure => {
      const step = byKey.get(key);
      return { label: step ? stepLabel(step) : key, message };
    },
  );
  return { results, failures };
}

/** A step's job id: stable across attempts of the parent, so that a resumed fan-out adds nothing twice. */
function stepJobId(runId: number, scope: PlanScope, step: Step): string {
  return `${scope === 'backfill' ? 'backfill' : 'run'}${runId}-${stepKey(step)}`;
}

/** The day a run started (its window's day), or today for a run not yet started. */
function startDay(data: FullSyncData): string {
  return today(new Date(data.startedAt ?? Date.now()));
}
