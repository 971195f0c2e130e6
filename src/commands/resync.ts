/**
 * `timetap-sync resync [--location ID] [--wait] [--timeout DURATION]`: asks the running workers
 * for an on-demand sync through the queue; with --wait, waits for it and prints its result.
 *
 * What can go wrong is said in one line on stderr, exit 1: Redis down or refusing (within a few
 * seconds, naming its host, never its password), no worker consuming the queue (after a few
 * seconds, unless --timeout asks to wait anyway), a job that failed, or one that only recorded
 * that it was skipped (another sync of the same scope was running): that is no success either.
 */
import { Queue } from 'bullmq';
import { EXIT } from '../exit-codes.js';
import { enqueueResync } from '../queue/enqueue.js';
import { asRedisFailure, createRedisConnection, waitForRedis } from '../redis/connection.js';
import type { Runtime } from '../runtime.js';
import { parseDuration } from './duration.js';
import { reportJobOutcome } from './job-outcome.js';
import { CONSOLE_OUTPUT, type CommandOutput } from './output.js';
import { waitForJob } from './wait-for-job.js';

export interface ResyncOptions {
  location?: number;
  wait?: boolean;
  /** The --timeout option as typed; implies --wait. */
  timeout?: string;
}

export async function resyncCommand(
  runtime: Runtime,
  options: ResyncOptions,
  output: CommandOutput = CONSOLE_OUTPUT,
): Promise<number> {
  const { config, redactor } = runtime;
  const out = (line: string) => output.out(line);
  const err = (line: string) => output.err(redactor.scrub(line));
  let timeoutMs: number | undefined;
  if (options.timeout !== undefined) {
    timeoutMs = parseDuration(options.timeout);
    if (timeoutMs === undefined) {
      err(
        `error: --timeout must be a duration such as 90s, 10m or 1h (got ${JSON.stringify(options.timeout)})`,
      );
      return EXIT.usage;
    }
  }
  const wait = options.wait === true || timeoutMs !== undefined;
  const what = options.location === undefined ? 'full sync' : `sync of location ${options.location}`;

  // A client connection: no offline queue, so a Redis lost midway fails the next command at once.
  const redis = createRedisConnection(config.redis.url, {
    role: 'client',
    logger: runtime.logger,
    name: 'timetap-sync:resync',
    report: 'caller',
  });
  const queue = new Queue(config.redis.queueName, { connection: redis, prefix: config.redis.prefix });
  // The command reports its own failures; without a listener BullMQ prints raw stack traces.
  queue.on('error', () => undefined);
  try {
    await waitForRedis(redis, config.redis.url);
    const request = options.location === undefined ? {} : { locationId: options.location };
    const { jobId, existing } = await enqueueResync(queue, { ...request, trigger: 'manual' }, config.worker);
    out(existing ? `${what} already pending: job ${jobId}` : `${what} queued: job ${jobId}`);
    if (!wait) return EXIT.ok;

    const outcome = await waitForJob(queue, jobId, timeoutMs === undefined ? {} : { timeoutMs });
    return reportJobOutcome(
      outcome,
      { command: 'resync', what, jobId, timeoutMs, queueName: config.redis.queueName },
      { out, err },
    );
  } catch (error) {
    const failure = asRedisFailure(config.redis.url, error);
    if (!failure) throw error;
    err(`error: ${failure.message}`);
    return EXIT.failure;
  } finally {
    await queue.close().catch(() => undefined);
    redis.disconnect();
  }
}
