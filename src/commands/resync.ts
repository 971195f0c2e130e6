/**
 * `timetap-sync resync [--location ID] [--account NAME] [--wait] [--timeout DURATION]`: asks the
 * running workers for an on-demand sync of each account (or of one) through the queue; with
 * --wait, waits for each and prints its result.
 *
 * What can go wrong is said in one line on stderr, exit 1: Redis down or refusing (within a few
 * seconds, naming its host, never its password), no worker consuming the queue (after a few
 * seconds, unless --timeout asks to wait anyway), a job that failed, or one that only recorded
 * that it was skipped (another sync of the same scope was running): that is no success either.
 */
import { EXIT } from '../exit-codes.js';
import { enqueueResync } from '../queue/enqueue.js';
import type { Runtime } from '../runtime.js';
import { selectAccounts } from './account-option.js';
import { CONSOLE_OUTPUT, type CommandOutput } from './output.js';
import { timeoutOption, withQueueClient } from './queue-client.js';
import { followQueuedJob } from './queued-job.js';

export interface ResyncOptions {
  location?: number;
  /** Only this account (default: every configured account). */
  account?: string;
  wait?: boolean;
  /** The --timeout option as typed; implies --wait. */
  timeout?: string;
  /** The job's result as JSON on stdout (and nothing else there). */
  json?: boolean;
}

export async function resyncCommand(
  runtime: Runtime,
  options: ResyncOptions,
  output: CommandOutput = CONSOLE_OUTPUT,
): Promise<number> {
  const { config, redactor } = runtime;
  const out = (line: string) => output.out(line);
  const err = (line: string) => output.err(redactor.scrub(line));
  const timeout = timeoutOption(options.timeout);
  if ('error' in timeout) {
    err(`error: ${timeout.error}`);
    return EXIT.usage;
  }
  const { timeoutMs } = timeout;
  const wait = options.wait === true || timeoutMs !== undefined;
  const accounts = selectAccounts(config.accounts, options.account, err);
  if (accounts === undefined) return EXIT.usage;
  const several = config.accounts.length > 1;

  return withQueueClient(runtime, 'timetap-sync:resync', err, async (queue) => {
    let worst: number = EXIT.ok;
    for (const account of accounts) {
      const scope = options.location === undefined ? 'full sync' : `sync of location ${options.location}`;
      const what = several ? `${scope} of account ${account.name}` : scope;
      const request = options.location === undefined ? {} : { locationId: options.location };
      const { jobId, existing } = await enqueueResync(
        queue,
        { ...request, account: account.name, trigger: 'manual' },
        config.worker,
      );
      const line = existing ? `${what} already pending: job ${jobId}` : `${what} queued: job ${jobId}`;
      const code = await followQueuedJob(
        queue,
        { jobId, existing, line },
        {
          command: 'resync',
          what,
          queueName: config.redis.queueName,
          wait,
          json: options.json === true,
          timeoutMs,
          progress: (done, total) => `resync: ${done}/${total} steps of the run done`,
        },
        { out, err },
      );
      worst = Math.max(worst, code);
    }
    return worst;
  });
}
