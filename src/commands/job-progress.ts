/**
 * The progress line of `resync --wait` and `backfill --wait`: the `{done, total}` progress a
 * parent job records (location-job.ts, showChildProgress) read at every poll of the wait, worded
 * for what the job counts.
 */
import type { Queue } from 'bullmq';
import { createProgressLine } from './progress.js';

export interface JobProgress {
  /** For waitForJob's `onPoll`. */
  onPoll(): Promise<void>;
  done(): void;
}

export function watchJobProgress(
  queue: Queue,
  jobId: string,
  describe: (done: number, total: number) => string,
  enabled?: boolean,
): JobProgress {
  const line = createProgressLine(process.stderr, enabled);
  return {
    async onPoll() {
      const progress = (await queue.getJob(jobId))?.progress;
      if (typeof progress === 'object' && progress !== null && 'done' in progress && 'total' in progress) {
        line.update(describe(Number(progress.done), Number(progress.total)));
      }
    },
    done: () => line.done(),
  };
}
