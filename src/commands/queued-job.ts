/**
 * What `resync` and `backfill` do once their job is queued: say so, and with --wait show its
 * progress on a terminal and print its result (reportJobOutcome). With --json, stdout holds JSON
 * alone: the job id without --wait, the result with it; the `queued` line goes to stderr then.
 */
import type { Queue } from 'bullmq';
import { EXIT } from '../exit-codes.js';
import { reportJobOutcome } from './job-outcome.js';
import { watchJobProgress } from './job-progress.js';
import type { CommandOutput } from './output.js';
import { waitForJob } from './wait-for-job.js';

export interface QueuedJob {
  jobId: string;
  existing: boolean;
  /** `full sync queued: job 7`, as a person reads it. */
  line: string;
}

export interface QueuedJobOptions {
  command: string;
  what: string;
  queueName: string;
  wait: boolean;
  json: boolean;
  timeoutMs: number | undefined;
  /** The progress line, worded for what the job counts. */
  progress: (done: number, total: number) => string;
}

export async function followQueuedJob(
  queue: Queue,
  job: QueuedJob,
  options: QueuedJobOptions,
  { out, err }: CommandOutput,
): Promise<number> {
  const { jobId, existing } = job;
  if (!options.wait) {
    out(options.json ? JSON.stringify({ jobId, existing }) : job.line);
    return EXIT.ok;
  }
  (options.json ? err : out)(job.line);
  const progress = watchJobProgress(queue, jobId, options.progress, options.json ? false : undefined);
  try {
    const { timeoutMs } = options;
    const outcome = await waitForJob(queue, jobId, {
      onPoll: progress.onPoll,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
    progress.done();
    const { command, what, queueName, json } = options;
    return reportJobOutcome(outcome, { command, what, jobId, timeoutMs, queueName, json }, { out, err });
  } finally {
    progress.done();
  }
}
