/**
 * `backfill`: the appointment history of a range of dates, as `appointment-chunk` children of
 * this job, each retried by itself. The range is cut at fixed dates (alignedDateChunks); chunks
 * an earlier backfill read completely are skipped (unless asked `again`), and each chunk that completes is recorded at once, so a
 * worker killed in the middle costs only the chunks under way: the job resumes where it stopped.
 *
 *   start    begin a run (one backfill at a time), fan out the chunks still to read, wait
 *   finish   collect the chunks' outcomes, close the run (`partial` when a chunk is not complete)
 */
import { type Job, WaitingChildrenError } from 'bullmq';
import { completedChunks, forgetChunks } from '../db/index.js';
import { RunActiveError } from '../errors.js';
import { alignedDateChunks } from '../sync/appointment-window.js';
import { addCounters, beginRun, closeRun, emptyTotals } from '../sync/run-steps.js';
import { mergeStats } from '../sync/stats.js';
import { jobOptions } from './enqueue.js';
import { type AppointmentChunkResult, type BackfillData, JOB, type JobData, type JobResult } from './jobs.js';
import { showChildProgress } from './location-job.js';
import { jobDataUpdater } from './owned-job-data.js';
import { jobError, type ProcessorDeps, stepDeps } from './processor-deps.js';

export async function processBackfill(
  job: Job<JobData<'backfill'>>,
  token: string | undefined,
  deps: ProcessorDeps,
): Promise<JobResult<'backfill'>> {
  const state = jobDataUpdater(deps, job, token);
  if ((state.data().step ?? 'start') === 'start') {
    const skipped = await start(job, deps, state.update);
    if (skipped) return skipped;
    if (token && (await job.moveToWaitingChildren(token))) throw new WaitingChildrenError();
  }
  return finish(job, state.data(), deps);
}

async function start(
  job: Job<BackfillData>,
  deps: ProcessorDeps,
  update: (patch: Partial<BackfillData>) => Promise<void>,
): Promise<{ skipped: string } | undefined> {
  const { from, to, trigger, again } = job.data;
  const steps = stepDeps(deps, deps.createClient(deps.shutdown), deps.logger.child({ jobId: job.id }));
  let runId = job.data.runId;
  if (runId === undefined) {
    try {
      ({ runId } = await beginRun(
        steps,
        { scope: 'backfill' },
        {
          trigger,
          workerId: deps.workerId,
          ...(job.id ? { jobId: job.id } : {}),
        },
      ));
    } catch (error) {
      if (error instanceof RunActiveError) return { skipped: error.message };
      throw jobError(error, deps);
    }
    // Before the run id is recorded: a retry of this step has a run id, and keeps what it read.
    if (again) await forgetChunks(deps.db, { startDate: from, endDate: to });
    await update({ runId, startedAt: Date.now() });
  }
  const chunks = alignedDateChunks({ startDate: from, endDate: to }, deps.appointments.chunkDays);
  const done = await completedChunks(deps.db, chunks);
  const left = chunks.filter((c) => !done.has(c.startDate));
  const parent = { id: job.id as string, queue: job.queueQualifiedName };
  // Adding a job whose id exists is a no-op, so a resumed start never doubles a chunk.
  const children = left.map((range) => ({
    name: JOB.appointmentChunk,
    data: { runId: runId as number, ...range, backfill: true } satisfies JobData<'appointment-chunk'>,
    opts: {
      jobId: `backfill${runId}-appointments${range.startDate}`,
      parent,
      ignoreDependencyOnFailure: true,
      ...jobOptions(deps.jobRetry),
      removeOnComplete: { age: 24 * 3600, count: 100_000 },
    },
  }));
  for (let i = 0; i < children.length; i += 500) await deps.queue.addBulk(children.slice(i, i + 500));
  await update({ step: 'finish', skipped: done.size });
  await showChildProgress(job, { skipped: done.size });
  return undefined;
}

async function finish(
  job: Job<BackfillData>,
  data: BackfillData,
  deps: ProcessorDeps,
): Promise<JobResult<'backfill'>> {
  const runId = data.runId as number;
  const values = Object.values(await job.getChildrenValues<AppointmentChunkResult>());
  const failures = Object.entries(await job.getIgnoredChildrenFailures()).map(([key, message]) => {
    const start = /appointments(\d{4}-\d{2}-\d{2})$/.exec(key)?.[1] ?? key;
    return `appointments from ${start}: ${message}`;
  });
  const totals = emptyTotals();
  for (const value of values) {
    mergeStats(totals.stats, value.stats);
    totals.counters = addCounters(totals.counters, value.counters);
  }
  totals.chunks = values.flatMap((v) => (v.read ? [v.read] : []));
  const reasons = [...values.flatMap((v) => v.reasons), ...failures];
  const status = reasons.length === 0 ? 'succeeded' : 'partial';
  const steps = stepDeps(deps, deps.createClient(deps.shutdown), deps.logger.child({ jobId: job.id, runId }));
  await closeRun(steps, runId, { scope: 'backfill', status, reasons, totals });
  const skipped = data.skipped ?? 0;
  await showChildProgress(job, data);
  return {
    runId,
    scope: 'backfill',
    status,
    chunks: skipped + values.length + failures.length,
    skipped,
    stats: totals.stats,
    durationMs: Date.now() - (data.startedAt ?? Date.now()),
    reasons: reasons.map((r) => deps.redactor.scrub(r)),
  };
}
