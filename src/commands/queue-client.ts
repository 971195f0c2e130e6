/**
 * What the queue's commands share: the `--timeout` option (`resync`, `backfill`), and a
 * short-lived client of the queue (those two and `status`) whose Redis failures end the command
 * with one line on stderr (exit 1), naming the host and never the password.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { EXIT } from '../exit-codes.js';
import { asRedisFailure, createRedisConnection, waitForRedis } from '../redis/connection.js';
import type { Runtime } from '../runtime.js';
import { parseDuration } from './duration.js';

/** `--timeout` in ms (undefined when not given), or the line that says what is wrong with it. */
export function timeoutOption(
  value: string | undefined,
): { timeoutMs: number | undefined } | { error: string } {
  if (value === undefined) return { timeoutMs: undefined };
  const timeoutMs = parseDuration(value);
  if (timeoutMs === undefined)
    return { error: `--timeout must be a duration such as 90s, 10m or 1h (got ${JSON.stringify(value)})` };
  return { timeoutMs };
}

/** Runs `use` with the queue (and its connection) once Redis answers; closes both whatever happens. */
export async function withQueueClient(
  runtime: Runtime,
  name: string,
  err: (line: string) => void,
  use: (queue: Queue, redis: Redis) => Promise<number>,
): Promise<number> {
  const { config } = runtime;
  // A client connection: no offline queue, so a Redis lost midway fails the next command at once.
  const redis = createRedisConnection(config.redis.url, {
    role: 'client',
    logger: runtime.logger,
    name,
    report: 'caller',
  });
  const queue = new Queue(config.redis.queueName, { connection: redis, prefix: config.redis.prefix });
  // The command reports its own failures; without a listener BullMQ prints raw stack traces.
  queue.on('error', () => undefined);
  try {
    await waitForRedis(redis, config.redis.url);
    return await use(queue, redis);
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
