/**
 * `timetap-sync resync [--location ID] [--wait]`: asks the running workers for an on-demand
 * sync through the queue; with --wait, waits for it and prints its result.
 */
import { Queue, QueueEvents } from 'bullmq';
import { EXIT } from '../exit-codes.js';
import { enqueueResync } from '../queue/enqueue.js';
import { createRedisConnection } from '../redis/connection.js';
import type { Runtime } from '../runtime.js';

export async function resyncCommand(
  runtime: Runtime,
  options: { location?: number; wait?: boolean; timeoutMs?: number },
): Promise<number> {
  const { config, logger } = runtime;
  const redis = createRedisConnection(config.redis.url, {
    role: 'worker',
    logger,
    name: 'timetap-sync:resync',
  });
  const queue = new Queue(config.redis.queueName, { connection: redis, prefix: config.redis.prefix });
  // QueueEvents blocks on its connection, so it gets its own (and closes it: BullMQ leaves
  // connections it was handed open).
  const eventsRedis = options.wait ? redis.duplicate() : undefined;
  const events = eventsRedis
    ? new QueueEvents(config.redis.queueName, { connection: eventsRedis, prefix: config.redis.prefix })
    : undefined;
  try {
    await events?.waitUntilReady();
    const request = options.location === undefined ? {} : { locationId: options.location };
    const { jobId, existing } = await enqueueResync(queue, { ...request, trigger: 'manual' }, config.worker);
    const what = options.location === undefined ? 'full sync' : `sync of location ${options.location}`;
    console.log(existing ? `${what} already pending: job ${jobId}` : `${what} queued: job ${jobId}`);
    if (!events) return EXIT.ok;

    const job = await queue.getJob(jobId);
    if (!job) throw new Error(`job ${jobId} disappeared from the queue`);
    const result: unknown = await job.waitUntilFinished(events, options.timeoutMs ?? 60 * 60_000);
    console.log(JSON.stringify(result, null, 2));
    const status =
      typeof result === 'object' && result !== null && 'status' in result ? result.status : 'succeeded';
    return status === 'succeeded' ? EXIT.ok : status === 'partial' ? EXIT.partial : EXIT.failure;
  } finally {
    await events?.close();
    await eventsRedis?.quit().catch(() => eventsRedis.disconnect());
    await queue.close();
    await redis.quit().catch(() => redis.disconnect());
  }
}
