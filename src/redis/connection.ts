/**
 * Redis connections, set up the way BullMQ's production guide asks (docs.bullmq.io,
 * "Going to production"):
 * - `worker` connections (BullMQ workers, their blocking duplicates, the shared session store and
 *   request budget) wait out a Redis outage: `maxRetriesPerRequest: null` and an offline queue,
 *   so that a restart of Redis pauses the work instead of failing every job in flight.
 * - `client` connections (HTTP handlers, CLI commands that enqueue) fail fast while Redis is down:
 *   no offline queue, so `POST /resync` answers 503 at once instead of hanging.
 * Both reconnect forever with a capped exponential backoff: giving up would leave a long-running
 * worker alive but deaf.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

export type RedisRole = 'worker' | 'client';

export interface RedisConnectionOptions {
  role: RedisRole;
  logger: Logger;
  /** CLIENT SETNAME, so that `CLIENT LIST` shows who is who. No spaces. */
  name?: string;
}

/** Errors are logged at most this often per connection: a down Redis emits one per attempt. */
const ERROR_LOG_INTERVAL_MS = 30_000;
const RETRY_BASE_MS = 100;
const RETRY_CAP_MS = 20_000;

export function createRedisConnection(url: string, options: RedisConnectionOptions): Redis {
  const { role, logger } = options;
  const where = urlWithoutPassword(url);
  const redis = new Redis(url, {
    connectionName: (options.name ?? `timetap-sync:${role}`).replace(/\s+/g, '-'),
    // null: a command waits for the reconnection instead of failing after 20 attempts. The
    // client role keeps a small bound, but with no offline queue it fails fast anyway.
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
    retryStrategy: redisRetryDelay,
  });

  let lastLoggedAt = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  let failing = false;
  // Without an 'error' listener, ioredis errors would crash the process; this one never throws.
  redis.on('error', (error: Error) => {
    failing = true;
    const now = Date.now();
    if (now - lastLoggedAt < ERROR_LOG_INTERVAL_MS) {
      suppressed += 1;
      return;
    }
    lastLoggedAt = now;
    // Only the message: an ioredis error object can carry the command's arguments.
    logger.warn({ redis: where, role, suppressed, reason: error.message }, 'redis connection error');
    suppressed = 0;
  });
  redis.on('ready', () => {
    if (!failing) return;
    failing = false;
    lastLoggedAt = Number.NEGATIVE_INFINITY;
    logger.info({ redis: where, role }, 'redis connection restored');
  });
  return redis;
}

/**
 * Reconnection delay for attempt `times` (1-based): 100 ms doubling to a 20 s cap, with up to
 * 10% jitter so that a fleet of workers does not reconnect in lockstep. Never null: never give up.
 */
export function redisRetryDelay(times: number): number {
  const exponential = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.min(Math.max(times - 1, 0), 20));
  return Math.round(exponential * (1 + Math.random() * 0.1));
}

/** The URL fit for a log line: scheme, host, port, database; never the password. */
export function urlWithoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    parsed.search = '';
    return parsed.toString();
  } catch {
    return '[unparseable redis url]';
  }
}
