/**
 * What `resync --wait` and `backfill --wait` print about the job they waited for, and their exit
 * code: the run's table of counts on stdout, as `sync` prints it (with --json, the job's result as
 * JSON; exit 0, or 3 when `partial`), or one line on stderr saying why there is none (exit 1). A
 * job that only recorded that it was skipped (another run of its scope was alive) is no success
 * either.
 */
import { EXIT } from '../exit-codes.js';
import { formatDuration } from './duration.js';
import type { CommandOutput } from './output.js';
import { formatRunSummary, isRunResult } from './run-summary.js';
import type { JobOutcome } from './wait-for-job.js';

export interface OutcomeContext {
  /** The command, which starts each line on stderr. */
  command: string;
  /** What the job does, as a sentence names it: `full sync`, `backfill`. */
  what: string;
  jobId: string;
  timeoutMs: number | undefined;
  queueName: string;
  /** Print the job's result as JSON instead of the table. */
  json?: boolean;
}

export function reportJobOutcome(
  outcome: JobOutcome,
  context: OutcomeContext,
  { out, err }: CommandOutput,
): number {
  const { command, what, jobId } = context;
  switch (outcome.kind) {
    case 'completed': {
      const { result } = outcome;
      if (isRecord(result) && typeof result.skipped === 'string') {
        err(`${command}: ${what} skipped (job ${jobId}): ${result.skipped}`);
        return EXIT.failure;
      }
      out(
        context.json !== true && isRunResult(result)
          ? formatRunSummary(result)
          : JSON.stringify(result, null, 2),
      );
      const status = isRecord(result) && typeof result.status === 'string' ? result.status : 'succeeded';
      return status === 'succeeded' ? EXIT.ok : status === 'partial' ? EXIT.partial : EXIT.failure;
    }
    case 'failed':
      err(`${command}: ${what} failed (job ${jobId}): ${outcome.reason.split('\n')[0]}`);
      return EXIT.failure;
    case 'gone':
      err(
        `${command}: job ${jobId} left the queue before it finished (removed?); see \`timetap-sync status\``,
      );
      return EXIT.failure;
    case 'no worker':
      err(
        `${command}: no worker is consuming the queue "${context.queueName}": job ${jobId} stays ${outcome.state} ` +
          'until one starts (`timetap-sync worker`); pass --timeout <duration> to wait for it anyway',
      );
      return EXIT.failure;
    case 'timed out': {
      const nobody = outcome.workers === 0 ? ' (no worker is consuming the queue)' : '';
      err(
        `${command}: gave up after ${formatDuration(context.timeoutMs ?? 0)}: job ${jobId} is still ${outcome.state}${nobody}`,
      );
      return EXIT.failure;
    }
    default: {
      const unknown: never = outcome;
      throw new Error(`unknown outcome ${JSON.stringify(unknown)}`);
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
