/**
 * Waits for a queued job the way `resync --wait` needs: until it completes or fails, but not for
 * a job that nothing will ever run. BullMQ names every worker's blocking connection after the
 * queue (CLIENT SETNAME), so `queue.getWorkersCount()` says whether any worker is consuming it;
 * with none for `noWorkerGraceMs` (a worker that is starting gets that long), the wait ends, unless
 * the user asked for a deadline of their own.
 *
 * It polls rather than listening to QueueEvents: a poll on a connection that fails fast reports a
 * lost Redis at the next tick, where a blocked event stream would wait for it silently.
 */
import type { Queue } from 'bullmq';

export type JobOutcome =
  | { kind: 'completed'; result: unknown }
  | { kind: 'failed'; reason: string }
  /** Removed from the queue (by hand, or by its retention) before this saw it finish. */
  | { kind: 'gone' }
  | { kind: 'no worker'; state: string }
  | { kind: 'timed out'; state: string; workers: number | undefined };

export interface WaitOptions {
  /** The user's deadline: wait this long even while no worker consumes the queue. */
  timeoutMs?: number;
  noWorkerGraceMs?: number;
  pollMs?: number;
  /** Called at every poll while the job is unfinished (to show its progress, say). */
  onPoll?: () => Promise<void>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const NO_WORKER_GRACE_MS = 2_000;
const POLL_MS = 500;

export async function waitForJob(
  queue: Queue,
  jobId: string,
  options: WaitOptions = {},
): Promise<JobOutcome> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const graceMs = options.noWorkerGraceMs ?? NO_WORKER_GRACE_MS;
  const pollMs = options.pollMs ?? POLL_MS;
  const started = now();
  let noWorkerSince: number | undefined;

  for (;;) {
    const state = await queue.getJobState(jobId);
    switch (state) {
      case 'completed':
      case 'failed': {
        const job = await queue.getJob(jobId);
        if (!job) return { kind: 'gone' };
        return state === 'completed'
          ? { kind: 'completed', result: job.returnvalue as unknown }
          : { kind: 'failed', reason: job.failedReason ?? 'no reason recorded' };
      }
      case 'unknown':
        return { kind: 'gone' };
      default:
        break;
    }
    await options.onPoll?.();
    const workers = await workerCount(queue);
    const time = now();
    if (options.timeoutMs !== undefined) {
      if (time - started >= options.timeoutMs) return { kind: 'timed out', state, workers };
    } else if (workers === 0) {
      noWorkerSince ??= time;
      if (time - noWorkerSince >= graceMs) return { kind: 'no worker', state };
    } else {
      noWorkerSince = undefined;
    }
    await sleep(pollMs);
  }
}

/** Undefined when Redis will not say (CLIENT LIST denied by an ACL): then nobody is presumed absent. */
async function workerCount(queue: Queue): Promise<number | undefined> {
  try {
    return await queue.getWorkersCount();
  } catch {
    return undefined;
  }
}
