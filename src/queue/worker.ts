/**
 * The sync worker: registers the scheduled full sync, processes the queue's jobs, and shuts down
 * gracefully. Several worker processes may run against one Redis: they share the job scheduler
 * (a stable id, so restarts and replicas never duplicate it), the TimeTap session token and the
 * request budget.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { type AccountContext, DEFAULT_ACCOUNT } from '../account.js';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import { abandonStaleRuns, markRemovedAccounts } from '../db/index.js';
import { youngGeneration } from '../heap-settings.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { createErrorListener, type OutageLog } from '../outage-log.js';
import type { Redactor } from '../redact.js';
import { watchForHang } from '../redis/answer-deadline.js';
import { createRedisConnection, outageLogOf } from '../redis/connection.js';
import { DEFAULT_STALE_RUN_MS, runSettings } from '../sync/run-settings.js';
import type { ReportMemory } from '../timetap/index.js';
import { type AccountFairness, createAccountFairness } from './account-fairness.js';
import { upsertJobSchedulers } from './job-schedulers.js';
import type { AccountData } from './jobs.js';
import { reportParentProgress } from './parent-progress.js';
import { type ProcessorDeps, scrubbedForQueue } from './processor-deps.js';
import { processJob } from './processors.js';
import { createSharedTimeTap } from './shared-timetap.js';

export interface SyncWorkerOptions {
  /** The worker's settings (BullMQ's lock and stall intervals, the runs' heartbeat) included. */
  config: Config;
  db: Db;
  logger: Logger;
  redactor: Redactor;
  /** Skip registering the job scheduler (tests of other parts). */
  schedule?: boolean;
  /** Where each account's clients keep which report endpoints answer (default: this process only). */
  reportMemory?: (account: AccountContext) => ReportMemory;
  metrics?: Metrics;
}

export interface SyncWorker {
  queue: Queue;
  worker: Worker;
  redis: Redis;
  /** The outage log of `redis`: one voice for its loss, a hang (enqueue.ts) and its return. */
  redisOutages: OutageLog;
  workerId: string;
  isConsuming(): boolean;
  /** Resolves once every job this process is running has returned or thrown, or after `ms`. */
  jobsSettled(ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function startSyncWorker(options: SyncWorkerOptions): Promise<SyncWorker> {
  const { config, db, logger, redactor } = options;
  const workerId = `${process.pid}-${randomUUID().slice(0, 8)}`;
  const redis = createRedisConnection(config.redis.url, {
    role: 'worker',
    logger,
    name: `timetap-sync:${workerId}`,
  });
  const queue = new Queue(config.redis.queueName, { connection: redis, prefix: config.redis.prefix });
  // The queue, the worker and the connection under them all report a Redis outage: one voice.
  const redisOutages = outageLogOf(redis, logger);
  // A hung Redis raises no error: a PING now and then tells the same outage log (answer-deadline.ts).
  const stopHangWatch = watchForHang({ redis, redisUrl: config.redis.url, outages: redisOutages });
  const redisIsUp = () => redis.status === 'ready';
  queue.on(
    'error',
    createErrorListener({ outages: redisOutages, isUp: redisIsUp, logger, redactor, source: 'queue' }),
  );

  const shutdown = new AbortController();
  // Every request in flight listens to this one signal; there may be many more than ten.
  setMaxListeners(0, shutdown.signal);
  const deps: ProcessorDeps = {
    db,
    logger,
    redactor,
    queue,
    redis,
    accounts: config.accounts.map((account) => ({
      settings: runSettings(config, account),
      ...createSharedTimeTap({
        redis,
        account,
        config,
        logger,
        redactor,
        ...(options.reportMemory ? { reportMemory: options.reportMemory(account) } : {}),
        ...(options.metrics ? { onRequest: countRequest(options.metrics, account.name) } : {}),
        ...(options.metrics ? { onRate: setRate(options.metrics, account.name) } : {}),
      }),
    })),
    jobRetry: config.worker,
    workerId,
    shutdown: shutdown.signal,
  };

  // Each account's budget from the start (a learned one moves it as the limiter answers).
  for (const account of config.accounts)
    options.metrics?.apiRateLimit.set({ account: account.name }, account.timetap.maxRps);
  const staleRuns = watchStaleRuns(db, logger, config.worker.staleRunMs ?? DEFAULT_STALE_RUN_MS);
  await staleRuns.check();
  const removed = await markRemovedAccounts(
    db,
    config.accounts.map((a) => a.name),
  );
  if (removed.length > 0) {
    logger.warn(
      { accounts: removed },
      'accounts no longer configured: their rows are kept, no run updates them',
    );
  }
  if (options.schedule !== false) await registerScheduler(queue, redis, config, logger, redactor);

  const running = new Set<Promise<unknown>>();
  const fairness = createAccountFairness({
    redis,
    prefix: config.redis.prefix,
    accounts: config.accounts.map((account) => account.name),
    workerId,
    concurrency: config.worker.concurrency,
    // An admission outlives a killed process as long as its jobs' locks do: the stall check
    // hands those jobs to another worker about when their slots free up.
    leaseMs: config.worker.lockDurationMs ?? BULLMQ_LOCK_DURATION_MS,
    logger,
  });
  const worker = createQueueWorker(config, deps, redisOutages, running, fairness);
  let closed = false;
  return {
    queue,
    worker,
    redis,
    redisOutages,
    workerId,
    isConsuming: () => !closed && worker.isRunning() && !worker.isPaused(),
    async jobsSettled(ms) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      });
      await Promise.race([Promise.allSettled([...running]), timeout]);
      clearTimeout(timer);
    },
    async close() {
      if (closed) return;
      closed = true;
      staleRuns.stop();
      stopHangWatch();
      // Stop taking jobs, let running ones finish within the grace period, then abort their
      // requests: the runs close as failed with reason `shutdown` and the jobs are retried.
      const closing = worker.close();
      const grace = setTimeout(() => shutdown.abort(new Error('shutdown')), config.worker.shutdownGraceMs);
      await closing.finally(() => clearTimeout(grace));
      await fairness.close().catch(() => {});
      await queue.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** BullMQ's default lockDuration, used when WORKER_LOCK_DURATION_MS is not set. */
const BULLMQ_LOCK_DURATION_MS = 30_000;

/**
 * The BullMQ worker: every job through its account's admission (account-fairness.ts) and its
 * processor (processors.ts), every error scrubbed. What
 * the processors are running is kept in `running`, so that a shutdown without Redis can wait for
 * exactly that (their runs closed in Postgres) rather than for a guessed while.
 */
function createQueueWorker(
  config: Config,
  deps: ProcessorDeps,
  redisOutages: OutageLog,
  running: Set<Promise<unknown>>,
  fairness: AccountFairness,
): Worker {
  const { logger, redactor, redis, queue } = deps;
  const lockDurationMs = config.worker.lockDurationMs;
  const worker = new Worker(
    config.redis.queueName,
    async (job: Job, token?: string) => {
      logger.debug({ jobId: job.id, job: job.name }, 'job started');
      const work = fairness.run(job, token, () => youngGeneration.busy(() => processJob(job, token, deps)));
      running.add(work);
      try {
        return await work;
      } catch (error) {
        throw scrubbedForQueue(error, redactor);
      } finally {
        running.delete(work);
      }
    },
    {
      connection: redis,
      prefix: config.redis.prefix,
      concurrency: config.worker.concurrency,
      ...(lockDurationMs ? { lockDuration: lockDurationMs } : {}),
      ...(config.worker.stalledIntervalMs ? { stalledInterval: config.worker.stalledIntervalMs } : {}),
      maxStalledCount: 2,
    },
  );
  const isUp = () => redis.status === 'ready';
  worker.on(
    'error',
    createErrorListener({ outages: redisOutages, isUp, logger, redactor, source: 'worker' }),
  );
  worker.on('failed', (job, error) =>
    logger.warn(
      {
        jobId: job?.id,
        job: job?.name,
        account: (job?.data as AccountData | undefined)?.account ?? DEFAULT_ACCOUNT,
        attempt: job?.attemptsMade,
      },
      `job failed: ${redactor.scrub(error.message)}`,
    ),
  );
  worker.on('completed', (job) => {
    logger.info({ jobId: job.id, job: job.name }, 'job completed');
    reportParentProgress(job, queue).catch((error) =>
      logger.debug({ err: String(error) }, 'progress not updated'),
    );
  });
  return worker;
}

/**
 * The job schedulers of the scheduled full syncs, one per account (job-schedulers.ts). Redis may
 * come back empty (restarted without persistence, failed over): they are registered again on
 * every reconnection; their stable ids make a repeat a no-op, and several workers never
 * duplicate them.
 */
async function registerScheduler(
  queue: Queue,
  redis: Redis,
  config: Config,
  logger: Logger,
  redactor: Redactor,
): Promise<void> {
  const register = () => upsertJobSchedulers(queue, config.accounts, config.worker);
  await register();
  redis.on('ready', () => {
    register().catch((error: unknown) =>
      logger.warn({ err: redactor.scrub(String(error)) }, 'could not register the job scheduler'),
    );
  });
}

/**
 * Runs left `running` by a process that died (or that lost Redis and its job with it) stop
 * heart-beating: checked when the worker starts and every half stale period while it runs, so
 * that such a run is marked `abandoned` within a stale period, not only at the next start.
 */
function watchStaleRuns(db: Db, logger: Logger, staleRunMs: number) {
  const check = async () => {
    const abandoned = await abandonStaleRuns(db, staleRunMs);
    if (abandoned > 0) logger.warn({ abandoned }, 'marked runs whose heartbeat stopped as abandoned');
  };
  const timer = setInterval(
    () => {
      check().catch((error: unknown) => logger.debug({ err: String(error) }, 'stale run check failed'));
    },
    Math.max(1_000, Math.floor(staleRunMs / 2)),
  );
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}

function countRequest(metrics: Metrics, account: string) {
  return (event: { endpoint: string; status: string }) =>
    metrics.apiCalls.inc({ account, endpoint: event.endpoint, status: event.status });
}

function setRate(metrics: Metrics, account: string) {
  return (rps: number) => metrics.apiRateLimit.set({ account }, rps);
}
