/**
 * Starts sync workers in this process for a test: each test gets its own queue prefix (so that
 * nothing is shared with other tests) and short lock, stall and heartbeat intervals, so that
 * recovery takes seconds. `cleanup()` closes every worker and removes the prefix's keys.
 */
import { randomBytes } from 'node:crypto';
import { type Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, inject } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/database.js';
import type { Metrics } from '../../src/metrics.js';
import { type SyncWorker, startSyncWorker } from '../../src/queue/worker.js';
import type { Simulator } from '../../src/simulator/index.js';
import type { TestDatabase } from './database.js';
import type { CapturedLog } from './sync.js';
import { simulatorEnv, testLogging } from './sync.js';

export interface WorkerHarness {
  prefix: string;
  env: NodeJS.ProcessEnv;
  start(options?: { schedule?: boolean; metrics?: Metrics }): Promise<SyncWorker>;
  queue: Queue;
  events: QueueEvents;
  redis: Redis;
  waitFor(job: Job, timeoutMs?: number): Promise<unknown>;
  cleanup(): Promise<void>;
}

export async function createWorkerHarness(options: {
  sim: Simulator;
  db: Db;
  databaseUrl: string;
  redisUrl: string;
  log?: CapturedLog;
  env?: Record<string, string>;
}): Promise<WorkerHarness> {
  const prefix = `tts-test-${randomBytes(4).toString('hex')}`;
  const env = simulatorEnv(options.sim, {
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    QUEUE_PREFIX: prefix,
    JOB_ATTEMPTS: '3',
    JOB_BACKOFF_MS: '200',
    TIMETAP_RETRY_BASE_MS: '20',
    SHUTDOWN_GRACE_MS: '2000',
    // Short locks, stall checks and heartbeats, so that recovery takes seconds.
    WORKER_LOCK_DURATION_MS: '5000',
    WORKER_STALLED_INTERVAL_MS: '1000',
    SYNC_STALE_RUN_MS: '4000',
    SYNC_HEARTBEAT_MS: '500',
    ...options.env,
  });
  const config = loadConfig(env, ['timetap', 'database', 'redis']);
  const { redactor, logger } = testLogging(config, options.log);
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(config.redis.queueName, { connection, prefix });
  const events = new QueueEvents(config.redis.queueName, { connection: connection.duplicate(), prefix });
  await events.waitUntilReady();
  const workers: SyncWorker[] = [];

  return {
    prefix,
    env,
    queue,
    events,
    redis: connection,
    async start(startOptions = {}) {
      const worker = await startSyncWorker({
        config,
        db: options.db,
        logger,
        redactor,
        schedule: startOptions.schedule ?? false,
        ...(startOptions.metrics ? { metrics: startOptions.metrics } : {}),
      });
      workers.push(worker);
      return worker;
    },
    waitFor: (job, timeoutMs = 30_000) => job.waitUntilFinished(events, timeoutMs),
    async cleanup() {
      for (const worker of workers) await worker.close();
      await events.close();
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
      const keys = await connection.keys(`${prefix}:*`);
      if (keys.length > 0) await connection.del(...keys);
      await connection.quit();
    },
  };
}

/**
 * A harness around each test's simulator and database, cleaned up after the test: the worker
 * tests all built it in a `beforeEach` of their own. `target` is read when the test starts, so
 * it may name what `useSyncFixture` has just made.
 */
export function useWorkerHarness(
  target: () => { sim: Simulator; database: TestDatabase; log?: CapturedLog; env?: Record<string, string> },
  ready: (harness: WorkerHarness) => void,
): void {
  let harness: WorkerHarness | undefined;
  beforeEach(async () => {
    const { sim, database, log, env } = target();
    harness = await createWorkerHarness({
      sim,
      db: database.db,
      databaseUrl: database.url,
      redisUrl: inject('redisUrl'),
      log,
      env,
    });
    ready(harness);
  });
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });
}
