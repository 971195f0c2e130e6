/**
 * `timetap-sync backfill --from DATE [--to DATE] [--again] [--wait] [--timeout DURATION]`: asks
 * the running workers to read the appointment history of a range of dates, older than the
 * rolling window that every full sync keeps fresh (by default it ends the day before the window
 * starts). The workers read it in chunks, each retried by itself; chunks an earlier backfill read
 * completely are skipped unless --again. With --wait, a progress line (on a terminal) and the
 * result, as for `resync --wait`: exit 0, 3 when some chunk could not be read, 1 on failure.
 */

import { addDays, dateChunks, parseDate, today } from '../dates.js';
import { EXIT } from '../exit-codes.js';
import { enqueueBackfill } from '../queue/enqueue.js';
import type { Runtime } from '../runtime.js';
import { appointmentWindow } from '../sync/appointment-window.js';
import { selectAccounts } from './account-option.js';
import { CONSOLE_OUTPUT, type CommandOutput } from './output.js';
import { timeoutOption, withQueueClient } from './queue-client.js';
import { followQueuedJob } from './queued-job.js';

export interface BackfillOptions {
  from: string;
  /** Only this account's history (default: every configured account's). */
  account?: string;
  to?: string;
  again?: boolean;
  wait?: boolean;
  /** The --timeout option as typed; implies --wait. */
  timeout?: string;
  /** The job's result as JSON on stdout (and nothing else there). */
  json?: boolean;
}

/** Twenty years: a longer history is a typo more often than a wish (and can be asked in parts). */
export const MAX_BACKFILL_DAYS = 7_305;

export async function backfillCommand(
  runtime: Runtime,
  options: BackfillOptions,
  output: CommandOutput = CONSOLE_OUTPUT,
  now: Date = new Date(),
): Promise<number> {
  const { config, redactor } = runtime;
  const out = (line: string) => output.out(line);
  const err = (line: string) => output.err(redactor.scrub(line));
  const { appointments } = config.sync;
  const range = backfillRange(options, appointmentWindow(today(now), appointments.pastDays, 0).startDate);
  if (typeof range === 'string') {
    err(`error: ${range}`);
    return EXIT.usage;
  }
  const timeout = timeoutOption(options.timeout);
  if ('error' in timeout) {
    err(`error: ${timeout.error}`);
    return EXIT.usage;
  }
  const { timeoutMs } = timeout;
  const wait = options.wait === true || timeoutMs !== undefined;
  const chunks = dateChunks({ startDate: range.from, endDate: range.to }, appointments.chunkDays).length;
  const accounts = selectAccounts(config.accounts, options.account, err);
  if (accounts === undefined) return EXIT.usage;
  const several = config.accounts.length > 1;

  return withQueueClient(runtime, 'timetap-sync:backfill', err, async (queue) => {
    let worst: number = EXIT.ok;
    for (const account of accounts) {
      const what = `backfill of ${range.from}..${range.to}${several ? ` for account ${account.name}` : ''}`;
      const request = { ...range, account: account.name, ...(options.again ? { again: true } : {}) };
      const { jobId, existing } = await enqueueBackfill(queue, request, config.worker);
      const size = `${chunks} chunk${chunks === 1 ? '' : 's'} of up to ${appointments.chunkDays} days`;
      const line = existing
        ? `${what} already pending: job ${jobId}`
        : `${what} queued (${size}): job ${jobId}`;
      const code = await followQueuedJob(
        queue,
        { jobId, existing, line },
        {
          command: 'backfill',
          what,
          queueName: config.redis.queueName,
          wait,
          json: options.json === true,
          timeoutMs,
          progress: (done, total) => `backfill: ${done}/${total} chunks of dates read`,
        },
        { out, err },
      );
      worst = Math.max(worst, code);
    }
    return worst;
  });
}

/**
 * The range to read, or what is wrong with the options. Without --to, the range ends the day
 * before `windowStart`, where the rolling window of every full sync begins.
 */
export function backfillRange(
  options: Pick<BackfillOptions, 'from' | 'to'>,
  windowStart: string,
): { from: string; to: string } | string {
  for (const [name, value] of [
    ['--from', options.from],
    ['--to', options.to],
  ] as const) {
    if (value === undefined) continue;
    try {
      parseDate(value);
    } catch {
      return `${name} must be a date such as 2024-01-31 (got ${JSON.stringify(value)})`;
    }
  }
  const { from } = options;
  const to = options.to ?? addDays(windowStart, -1);
  if (from > to) {
    return options.to === undefined
      ? `--from ${from} is inside the rolling window that every full sync reads (from ${windowStart} on): nothing older to backfill`
      : `--from ${from} is after --to ${to}`;
  }
  const days = (parseDate(to) - parseDate(from)) / 86_400_000 + 1;
  if (days > MAX_BACKFILL_DAYS) {
    return `${from}..${to} is ${days} days, more than the ${MAX_BACKFILL_DAYS} one backfill reads; ask for it in parts`;
  }
  return { from, to };
}
