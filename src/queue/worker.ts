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
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { abandonStaleRuns } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { createErrorListener } from '../outage-log.js';
import type { Redactor } from '../redact.js';
import { createRedisConnection, outageLogOf } from '../redis/connection.js';
import { createRedisDeleteBudget } from '../redis/delete-budget.js';
import { createRedisLimiter } from '../redis/limiter.js';
import { createRedisSessionStore } from '../redis/session-store.js';
import { createSessionGuard, createTimeTapClient } from '../timetap/index.js';
import { jobOptions } from './enqueue.js';
import { processFullSync } from './full-sync-job.js';
import {
  type FullSyncData,
  JOB,
  type JobName,
  type LocationSyncData,
  type LocationWalkData,
  SCHEDULER_ID,
} from './jobs.js';
import { processLocationSync, processLocationWalk, reportParentProgress } from './location-job.js';
import { type ProcessorDeps, scrubbedForQueue } from './processor-deps.js';

export interface SyncWorkerOptions {
  config: Config;
  db: Db;
  logger: Logger;
  redactor: Redactor;
  /** Shorter BullMQ lock/stall intervals for tests; production keeps BullMQ's defaults. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  staleRunMs?: number;
  heartbeatMs?: number;
  /** Skip registering the job scheduler (tests of other parts). */
  schedule?: boolean;
  metrics?: Metrics;
}

export interface SyncWorker {
  queue: Queue;
  worker: Worker;
  redis: Redis;
  workerId: string;
  isConsuming(): boolean;
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
  const redisIsUp = () => redis.status === 'ready';
  queue.on(
    'error',
    createErrorListener({ outages: redisOutages, isUp: redisIsUp, logger, redactor, source: 'queue' }),
  );

  const prefix = `${config.redis.prefix}:timetap`;
  // The token is stored encrypted with the private key, which every worker has anyway.
  const sessionStore = createRedisSessionStore(redis, {
    key: `${prefix}:session`,
    encryptionSecret: config.timetap.privateKey,
    // A login is one request, bounded by the request timeout: a process killed mid-login blocks
    // the others' logins for about that long, not for a fixed 30 s.
    lockTtlMs: Math.min(30_000, config.timetap.timeoutMs + 2_000),
  });
  const limiter = createRedisLimiter(redis, {
    key: `${prefix}:budget`,
    maxRps: config.timetap.maxRps,
    maxConcurrency: config.timetap.maxConcurrency,
    audit: config.worker.limiterAudit,
    // A killed process's slots come back when its jobs do (BullMQ's lock, 30 s by default), not
    // a minute later: otherwise the worker that takes the jobs over may find no slot free.
    leaseMs: options.lockDurationMs ?? 30_000,
  });
  // What this process learns of its session is shared by all of its jobs' clients.
  const sessionGuard = createSessionGuard(sessionStore);
  const shutdown = new AbortController();
  // Every request in flight listens to this one signal; there may be many more than ten.
  setMaxListeners(0, shutdown.signal);
  const staleRunMs = options.staleRunMs ?? 5 * 60_000;
  const deps: ProcessorDeps = {
    db,
    logger,
    redactor,
    queue,
    redis,
    createClient: (signal) =>
      createTimeTapClient({
        config: config.timetap,
        logger,
        redactor,
        sessionGuard,
        limiter,
        signal,
        ...(options.metrics ? { onRequest: countRequest(options.metrics) } : {}),
      }),
    createDeleteBudget: (runId, limits) =>
      createRedisDeleteBudget(redis, `${prefix}:run:${runId}:deletes`, limits),
    guard: { ratio: config.sync.deleteGuardRatio, allowMassDelete: config.sync.allowMassDelete },
    staffConcurrency: config.timetap.maxConcurrency * 2,
    locationConcurrency: config.sync.locationConcurrency,
    jobRetry: config.worker,
    staleRunMs,
    heartbeatMs: options.heartbeatMs ?? Math.max(1_000, Math.floor(staleRunMs / 5)),
    workerId,
    shutdown: shutdown.signal,
  };

  const abandoned = await abandonStaleRuns(db, staleRunMs);
  if (abandoned > 0) logger.warn({ abandoned }, 'marked runs left running by a dead process as abandoned');
  if (options.schedule !== false) {
    const registerSchedule = () =>
      queue.upsertJobScheduler(
        SCHEDULER_ID,
        { pattern: config.sync.schedule },
        {
          name: JOB.fullSync,
          data: { trigger: 'schedule' } satisfies FullSyncData,
          opts: jobOptions(config.worker),
        },
      );
    await registerSchedule();
    // Redis may come back empty (restarted without persistence, failed over): register the job
    // scheduler again on every reconnection. The stable id makes a repeat a no-op.
    redis.on('ready', () => {
      registerSchedule().catch((error: unknown) =>
        logger.warn({ err: redactor.scrub(String(error)) }, 'could not register the job scheduler'),
      );
    });
  }

  const worker = new Worker(
    config.redis.queueName,
    async (job: Job, token?: string) => {
      const log = logger.child({ jobId: job.id, job: job.name });
      log.debug('job started');
      try {
        return await processJob(job, token, deps);
      } catch (error) {
        throw scrubbedForQueue(error, redactor);
      }
    },
    {
      connection: redis,
      prefix: config.redis.prefix,
      concurrency: config.worker.concurrency,
      ...(options.lockDurationMs ? { lockDuration: options.lockDurationMs } : {}),
      ...(options.stalledIntervalMs ? { stalledInterval: options.stalledIntervalMs } : {}),
      maxStalledCount: 2,
    },
  );
  worker.on(
    'error',
    createErrorListener({ outages: redisOutages, isUp: redisIsUp, logger, redactor, source: 'worker' }),
  );
  worker.on('failed', (job, error) =>
    logger.warn(
      { jobId: job?.id, job: job?.name, attempt: job?.attemptsMade },
      `job failed: ${redactor.scrub(error.message)}`,
    ),
  );
  worker.on('completed', (job) => {
    logger.info({ jobId: job.id, job: job.name }, 'job completed');
    reportParentProgress(job, queue).catch((error) =>
      logger.debug({ err: String(error) }, 'progress not updated'),
    );
  });

  let closed = false;
  return {
    queue,
    worker,
    redis,
    workerId,
    isConsuming: () => !closed && worker.isRunning() && !worker.isPaused(),
    async close() {
      if (closed) return;
      closed = true;
      // Stop taking jobs, let running ones finish within the grace period, then abort their
      // requests: the runs close as failed with reason `shutdown` and the jobs are retried.
      const closing = worker.close();
      const grace = setTimeout(() => shutdown.abort(new Error('shutdown')), config.worker.shutdownGraceMs);
      await closing.finally(() => clearTimeout(grace));
      await queue.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

function processJob(job: Job, token: string | undefined, deps: ProcessorDeps): Promise<unknown> {
  const name = job.name as JobName;
  switch (name) {
    case JOB.fullSync:
      return processFullSync(job as Job<FullSyncData>, token, deps);
    case JOB.locationWalk:
      return processLocationWalk(job as Job<LocationWalkData>, deps);
    case JOB.locationSync:
      return processLocationSync(job as Job<LocationSyncData>, deps);
    default: {
      const unknown: never = name;
      throw new Error(`unknown job name ${String(unknown)}`);
    }
  }
}

function countRequest(metrics: Metrics) {
  return (event: { endpoint: string; status: string }) =>
    metrics.apiCalls.inc({ endpoint: event.endpoint, status: event.status });
}
