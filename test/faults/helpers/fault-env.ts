/**
 * One fault scenario's world: the simulator (in this process, reached over real HTTP), a fresh
 * database cloned from the migrated template, a queue prefix of its own, and any number of real
 * worker processes started against them with short lock, stall and heartbeat intervals so that
 * recovery takes seconds. Every worker's output is kept for the secret sweep.
 */
import { randomBytes } from 'node:crypto';
import { type Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { enqueueResync } from '../../../src/queue/enqueue.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../../src/simulator/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.js';
import { duplicateKeys, expectedMirror, readMirror } from '../../helpers/mirror.js';
import { recentAppointments, simulatorEnv } from '../../helpers/sync.js';
import { spawnWorker, type WorkerProcess } from './worker-process.js';

export const QUEUE_NAME = 'sync';
export const RETRY = { attempts: 3, backoffMs: 300 };

export interface RunRow {
  id: number;
  status: string;
  scope: string;
  error: string | null;
  job_id: string | null;
}

export interface FaultEnv {
  sim: Simulator;
  database: TestDatabase;
  prefix: string;
  /** The environment every worker of this scenario starts with. */
  env: NodeJS.ProcessEnv;
  queue: Queue;
  redis: Redis;
  workers: WorkerProcess[];
  /** Starts a worker process and waits until it serves HTTP. */
  startWorker(extra?: Record<string, string>): Promise<WorkerProcess>;
  /** Enqueues an on-demand sync the way `timetap-sync resync` does; returns the job id. */
  resync(request?: { locationId?: number }, retry?: typeof RETRY): Promise<string>;
  /** Polls the job until it completes (its return value) or fails for good (throws). */
  waitForJob(jobId: string, timeoutMs?: number): Promise<unknown>;
  runs(): Promise<RunRow[]>;
  /** Asserts "converged": every table equals the simulator's data, no key doubled. */
  expectConverged(): Promise<void>;
  /** Every line any worker of this scenario printed. */
  output(): string;
  stopWorkers(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function createFaultEnv(options: {
  sim?: SimulatorOptions;
  env?: Record<string, string>;
  databaseUrl: string;
  redisUrl: string;
}): Promise<FaultEnv> {
  const sim = await startSimulator({
    seed: 11,
    locations: 6,
    latencyMs: 2,
    // The scenarios compare the mirror with every appointment: all of them inside the window.
    appointments: recentAppointments(),
    ...options.sim,
  });
  const database = await createTestDatabase(options.databaseUrl);
  const prefix = `tts-fault-${randomBytes(4).toString('hex')}`;
  const env = simulatorEnv(sim, {
    DATABASE_URL: database.url,
    REDIS_URL: options.redisUrl,
    QUEUE_PREFIX: prefix,
    QUEUE_NAME,
    HTTP_PORT: '0',
    LOG_LEVEL: 'debug',
    // Far away: scenarios enqueue their syncs themselves.
    SYNC_SCHEDULE: '0 0 1 1 *',
    JOB_ATTEMPTS: String(RETRY.attempts),
    JOB_BACKOFF_MS: String(RETRY.backoffMs),
    TIMETAP_RETRY_BASE_MS: '50',
    TIMETAP_MAX_CONCURRENCY: '6',
    SHUTDOWN_GRACE_MS: '2000',
    WORKER_LOCK_DURATION_MS: '3000',
    WORKER_STALLED_INTERVAL_MS: '1000',
    SYNC_STALE_RUN_MS: '4000',
    SYNC_HEARTBEAT_MS: '500',
    DATABASE_STATEMENT_TIMEOUT_MS: '10000',
    DATABASE_CONNECT_TIMEOUT_MS: '5000',
    ...options.env,
  });
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined); // scenarios take Redis away on purpose
  const queue = new Queue(QUEUE_NAME, { connection: redis, prefix });
  queue.on('error', () => undefined);
  const workers: WorkerProcess[] = [];

  const self: FaultEnv = {
    sim,
    database,
    prefix,
    env,
    queue,
    redis,
    workers,
    async startWorker(extra = {}) {
      const worker = spawnWorker({ ...env, ...extra });
      workers.push(worker);
      await worker.started;
      return worker;
    },
    async resync(request = {}, retry = RETRY) {
      return (await enqueueResync(queue, request, retry)).jobId;
    },
    async waitForJob(jobId, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const job: Job | undefined = await queue.getJob(jobId);
        if (job) {
          if (job.finishedOn && job.failedReason === undefined) return job.returnvalue;
          const state = await job.getState();
          if (state === 'completed') return (await queue.getJob(jobId))?.returnvalue;
          if (state === 'failed') throw new Error(`job ${jobId} failed: ${job.failedReason}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      const job = await queue.getJob(jobId);
      const state = job ? await job.getState() : 'missing';
      const children = job ? await job.getDependenciesCount() : {};
      const counts = await queue.getJobCounts();
      throw new Error(
        `job ${jobId} did not finish within ${timeoutMs} ms: ${state}, data ${JSON.stringify(job?.data ?? {}).slice(0, 300)}, ` +
          `children ${JSON.stringify(children)}, queue ${JSON.stringify(counts)}`,
      );
    },
    runs: () =>
      database.db.$queryRaw<RunRow[]>`SELECT id, status, scope, error, job_id FROM sync_runs ORDER BY id`,
    async expectConverged() {
      expect(await readMirror(database.db)).toEqual(expectedMirror(sim.data.snapshot()));
      const duplicates = await duplicateKeys(database.db);
      expect(
        Object.values(duplicates).every((n) => n === 0),
        JSON.stringify(duplicates),
      ).toBe(true);
    },
    output: () => workers.map((w) => w.output()).join('\n'),
    async stopWorkers() {
      for (const worker of workers) {
        if (worker.isAlive()) worker.kill('SIGTERM');
        const exit = await Promise.race([worker.exited, delay(15_000).then(() => undefined)]);
        if (exit === undefined) {
          worker.kill('SIGKILL');
          await worker.exited;
        }
      }
    },
    async cleanup() {
      await self.stopWorkers();
      await sim.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close().catch(() => undefined);
      const keys = await redis.keys(`${prefix}:*`).catch(() => [] as string[]);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit().catch(() => redis.disconnect());
      await database.close();
    },
  };
  return self;
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns a value other than undefined/false. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    await delay(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
