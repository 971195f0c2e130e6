/**
 * The worker's shutdown on SIGTERM/SIGINT, bounded whatever Redis does (README, "Shutdown").
 */
import type { Redis } from 'ioredis';
import type { Database } from '../db/database.js';
import type { HttpServer } from '../http/server.js';
import type { Logger } from '../logger.js';
import type { SyncWorker } from '../queue/worker.js';
import { closeRedisNow } from '../redis/connection.js';

/** Past the grace period, how long closing may take before the Redis connection is dropped. */
const CLOSE_MARGIN_MS = 1_000;

/**
 * Stops taking jobs and gives running ones the grace period (the worker's close aborts their
 * requests when it ends), then closes the HTTP server and the database.
 *
 * With Redis unreachable (at the signal, lost while closing, or silent past the grace period),
 * nothing a job does can finish: its TimeTap requests wait for the shared budget in Redis, and
 * its completion is recorded there. BullMQ's close would wait for Redis for ever (it closes by
 * talking to Redis, and ioredis never ends a connection that waits to reconnect). So the worker
 * drops its Redis connection instead, which fails everything that waits on it; jobs that were
 * running close their runs in Postgres (the worker waits for that, within the grace period); and
 * it exits 0. Their locks expire and the next worker retries them.
 */
export async function shutDown(
  parts: { sync: SyncWorker; http: HttpServer; database: Database },
  options: { graceMs: number; logger: Logger },
): Promise<void> {
  const { sync } = parts;
  const { graceMs, logger } = options;
  const deadline = Date.now() + graceMs;
  const closed = sync.close().then(
    () => 'closed' as const,
    (error: unknown) => {
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'worker close failed');
      return 'closed' as const;
    },
  );
  const lost = whenRedisLost(sync.redis);
  const outcome = await Promise.race([
    closed,
    lost.promise,
    delay(graceMs + CLOSE_MARGIN_MS, 'silent' as const),
  ]);
  lost.cancel();
  if (outcome !== 'closed') {
    logger.warn(
      { reason: outcome === 'lost' ? 'redis unreachable' : 'redis did not answer within the grace period' },
      'closing without Redis',
    );
    closeRedisNow(sync.redis);
    // The running jobs fail now (what they waited for in Redis is gone) and close their runs.
    const left = deadline - Date.now();
    if (left > 0) await sync.jobsSettled(left);
  }
  await parts.http.close();
  await parts.database.close();
}

/** Resolves 'lost' at once if the connection is not ready, else when ioredis starts reconnecting. */
function whenRedisLost(redis: Redis): { promise: Promise<'lost'>; cancel(): void } {
  if (redis.status !== 'ready') return { promise: Promise.resolve('lost'), cancel() {} };
  let onLost = () => {};
  const promise = new Promise<'lost'>((resolve) => {
    onLost = () => resolve('lost');
    // ioredis says 'reconnecting' only for a connection it lost, never after quit().
    redis.once('reconnecting', onLost);
  });
  return { promise, cancel: () => redis.off('reconnecting', onLost) };
}

function delay<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}
