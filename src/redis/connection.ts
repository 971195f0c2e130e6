/**
 * Redis connections, set up the way BullMQ's production guide asks (docs.bullmq.io,
 * "Going to production"):
 * - `worker` connections (BullMQ workers, their blocking duplicates, the shared session store and
 *   request budget) wait out a Redis outage: `maxRetriesPerRequest: null` and an offline queue,
 *   so that a restart of Redis pauses the work instead of failing every job in flight.
 * - `client` connections (the CLI commands) fail fast while Redis is down: no offline queue and a
 *   command timeout, so that `status` and `resync` report a down Redis instead of hanging. (The
 *   worker's HTTP handlers share its worker connection and look at its state first: enqueue.ts.)
 * Both reconnect forever with a capped exponential backoff: giving up would leave a long-running
 * worker alive but deaf. The one exception is a database index that Redis refuses (`/99` in
 * REDIS_URL): ioredis would log the refused SELECT and carry on in database 0, where the jobs
 * would silently go; no reconnection can fix that, so the connection closes for good.
 *
 * Failures are reported to the connection's outage log (outage-log.ts), which BullMQ's listeners
 * on the same connection share through `outageLogOf`.
 */
import { Redis } from 'ioredis';
import { mayComeFrom } from '../error-origin.js';
import { type ErrorOrigin, SyncError } from '../errors.js';
import { type FailureReason, failureReason } from '../failure-reason.js';
import type { Logger } from '../logger.js';
import { createOutageLog, type OutageLog, SILENT_OUTAGE_LOG } from '../outage-log.js';

export type RedisRole = 'worker' | 'client';

export interface RedisConnectionOptions {
  role: RedisRole;
  logger: Logger;
  /** CLIENT SETNAME, so that `CLIENT LIST` shows who is who. No spaces. */
  name?: string;
  /**
   * Who reports the connection's failures: `log` (the default) logs an outage's loss and return
   * (outage-log.ts); `caller` logs nothing, for one-shot commands that print the one line a user
   * needs themselves (waitForRedis).
   */
  report?: 'log' | 'caller';
}

/** How long a command waits for Redis to answer before it reports it unreachable. */
const REDIS_CONNECT_TIMEOUT_MS = 3_000;
/** A client connection's commands fail after this, even on a connection that looks up. */
const CLIENT_COMMAND_TIMEOUT_MS = 5_000;
const RETRY_BASE_MS = 100;
const RETRY_CAP_MS = 20_000;

/** Redis cannot be used: down, unreachable, refusing the password or the database index. */
export class RedisUnavailableError extends SyncError {
  override readonly origin: ErrorOrigin | undefined = 'redis';
  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Redis took a command and did not answer it in time: it is hung (accepts connections, answers
 * nothing), and the command may still be carried out when it answers again (errors.ts isUnconfirmed).
 */
export class RedisUnconfirmedError extends RedisUnavailableError {
  readonly unconfirmed = true;
  constructor(url: string, timeoutMs: number) {
    super(
      `Redis at ${redisHost(url)} did not answer within ${timeoutMs / 1000} s: the command was sent ` +
        'but not confirmed, and may still be carried out once Redis answers',
      { retryable: true },
    );
  }
}

const outageLogs = new WeakMap<Redis, OutageLog>();
const refusals = new WeakMap<Redis, RedisUnavailableError>();

export function createRedisConnection(url: string, options: RedisConnectionOptions): Redis {
  const { role, logger } = options;
  const where = redisHost(url);
  const redis = new Redis(url, {
    connectionName: (options.name ?? `timetap-sync:${role}`).replace(/\s+/g, '-'),
    // null: a command waits for the reconnection instead of failing after 20 attempts. The
    // client role keeps a small bound, but with no offline queue it fails fast anyway.
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
    retryStrategy: redisRetryDelay,
    ...(role === 'client' ? { commandTimeout: CLIENT_COMMAND_TIMEOUT_MS, connectTimeout: 5_000 } : {}),
  });
  const quiet = options.report === 'caller';
  const outages = quiet ? SILENT_OUTAGE_LOG : createOutageLog({ logger, dependency: 'redis', where });
  outageLogs.set(redis, outages);

  // Without an 'error' listener, ioredis errors would crash the process; this one never throws.
  redis.on('error', (error: Error) => {
    if (isDatabaseRefused(error)) {
      if (refusals.has(redis)) return;
      const refusal = new RedisUnavailableError(
        `Redis at ${where} refused database ${redisDatabase(url)} (${error.message}): REDIS_URL must ` +
          'name a database index that the server has (0 to 15 by default)',
        { retryable: false, cause: error },
      );
      refusals.set(redis, refusal);
      if (!quiet) logger.error({ redis: where, role }, refusal.message);
      redis.disconnect();
      return;
    }
    // Only the message: an ioredis error object can carry the command's arguments.
    outages.lost(error.message);
  });
  redis.on('ready', () => outages.restored());
  return redis;
}

/**
 * The outage log a connection reports to, for the listeners on the BullMQ queues and workers that
 * use it: one outage, one voice. A connection made elsewhere gets one of its own on first use.
 */
export function outageLogOf(redis: Redis, logger: Logger): OutageLog {
  let outages = outageLogs.get(redis);
  if (!outages) {
    const { host, port } = redis.options;
    outages = createOutageLog({ logger, dependency: 'redis', where: `${host}:${port}` });
    outageLogs.set(redis, outages);
  }
  return outages;
}

/**
 * Closes the connection now, failing every command that waits on it (the offline queue of a
 * worker connection holds them until Redis is back, which may be never). `disconnect()` alone
 * does not do that for a connection that is waiting to reconnect: ioredis 5 then clears the
 * timer but leaves the connection `reconnecting` for ever, its queue pending and no 'end' event.
 * So it is finished here the way ioredis finishes a closed connection itself (its closeHandler).
 */
export function closeRedisNow(redis: Redis): void {
  const waitingToReconnect = redis.status === 'reconnecting';
  redis.disconnect();
  if (waitingToReconnect && redis.status === 'reconnecting') {
    const internals = redis as unknown as { setStatus(status: string): void; flushQueue(error: Error): void };
    internals.setStatus('end');
    internals.flushQueue(new Error('Connection is closed.'));
  }
}

/**
 * Resolves once the connection is ready; otherwise rejects with one line that names Redis and its
 * host, never the password: at once when Redis refused the database index, after a second of
 * answers that leave no doubt (connection refused, unknown host, wrong password: a Redis that is
 * restarting gets that second), and after `timeoutMs` of anything else (no answer at all).
 */
export function waitForRedis(redis: Redis, url: string, timeoutMs = REDIS_CONNECT_TIMEOUT_MS): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  const refused = refusals.get(redis);
  if (refused) return Promise.reject(refused);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let lastError: unknown;
    const fail = () => {
      done();
      reject(refusals.get(redis) ?? unreachable(url, lastError, timeoutMs));
    };
    const onError = (error: unknown) => {
      lastError = error;
      const settled =
        DEFINITE_FAILURES.has(failureReason(error)) && Date.now() - started >= DEFINITE_AFTER_MS;
      if (refusals.has(redis) || settled) fail();
    };
    const onReady = () => {
      done();
      resolve();
    };
    const timer = setTimeout(fail, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      redis.off('error', onError);
      redis.off('ready', onReady);
      redis.off('end', fail);
    };
    redis.on('error', onError);
    redis.once('ready', onReady);
    redis.once('end', fail);
  });
}

const DEFINITE_AFTER_MS = 500;
const DEFINITE_FAILURES = new Set<FailureReason>([
  'connection refused',
  'host not found',
  'authentication failed',
]);

/** The one line for a Redis that did not answer (or answered with an error). */
export function unreachable(url: string, error: unknown, timeoutMs?: number): RedisUnavailableError {
  const where = redisHost(url);
  if (error === undefined) {
    const within = timeoutMs === undefined ? '' : ` within ${timeoutMs / 1000} s`;
    return new RedisUnavailableError(`Redis at ${where} did not answer${within}; is it running?`, {
      retryable: true,
    });
  }
  const reason = failureReason(error);
  if (reason === 'authentication failed') {
    return new RedisUnavailableError(`Redis at ${where} refused the password of REDIS_URL (${reason})`, {
      retryable: false,
      cause: error,
    });
  }
  return new RedisUnavailableError(`cannot reach Redis at ${where} (${reason}); is it running?`, {
    retryable: true,
    cause: error,
  });
}

/**
 * The error as the one line a command prints when it is about Redis being unavailable (down,
 * lost midway, refusing the password or the database index); undefined for any other error.
 */
export function asRedisFailure(url: string, error: unknown): RedisUnavailableError | undefined {
  if (error instanceof RedisUnavailableError) return error;
  // A database's or TimeTap's failure carries the same network codes: it is theirs to explain.
  if (!mayComeFrom(error, 'redis')) return undefined;
  return REDIS_FAILURES.has(failureReason(error)) ? unreachable(url, error) : undefined;
}

const REDIS_FAILURES = new Set<FailureReason>([
  'connection refused',
  'host not found',
  'host unreachable',
  'connection reset',
  'connection closed',
  'timed out',
  'authentication failed',
]);

export function isDatabaseRefused(error: unknown): boolean {
  return error instanceof Error && /DB index is out of range|invalid DB index/i.test(error.message);
}

/**
 * Reconnection delay for attempt `times` (1-based): 100 ms doubling to a 20 s cap, with up to
 * 10% jitter so that a fleet of workers does not reconnect in lockstep. Never null: never give up.
 */
export function redisRetryDelay(times: number): number {
  const exponential = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.min(Math.max(times - 1, 0), 20));
  return Math.round(exponential * (1 + Math.random() * 0.1));
}

/** Host and port of a Redis URL, for messages: never the user or password. */
export function redisHost(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '6379'}`;
  } catch {
    return '[unparseable REDIS_URL]';
  }
}

/** The database index a Redis URL selects (its path), 0 when it names none. */
export function redisDatabase(url: string): number {
  try {
    const index = Number.parseInt(new URL(url).pathname.slice(1), 10);
    return Number.isNaN(index) ? 0 : index;
  } catch {
    return 0;
  }
}
