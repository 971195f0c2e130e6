/**
 * One scenario of full syncs (and backfills) through real worker processes: its own database
 * (given), its own queue prefix in Redis, the simulator's call log reset before each sync. A sync
 * is enqueued exactly as `timetap-sync resync` would (a backfill through `enqueueBackfill`, as
 * `timetap-sync backfill` does), and timed from the enqueue to the parent job's completion; the
 * API calls are counted on the simulator's side, so nothing the client might miscount (retries,
 * logins) escapes the figure.
 */
import { randomBytes } from 'node:crypto';
import { type Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { enqueueBackfill, jobOptions } from '../src/queue/enqueue.js';
import { JOB } from '../src/queue/jobs.js';
import { readLimiterAudit } from '../src/redis/limiter-audit.js';
import type { Simulator } from '../src/simulator/index.js';
import type { Budget } from './sizes.js';
import { startWorkerProcess, type WorkerLaunch, type WorkerProcess } from './worker-process.js';

export interface SyncMeasure {
  wallMs: number;
  /** Requests the simulator answered during the sync (the login included). */
  apiCalls: number;
  status: string;
  /** Most requests the simulator saw in flight at once. */
  maxInFlight: number;
  /** The job's return value (JobResult of its name). */
  result: Record<string, unknown>;
}

export interface SyncHarness {
  prefix: string;
  startWorkers(count: number): Promise<WorkerProcess[]>;
  runFullSync(timeoutMs?: number): Promise<SyncMeasure>;
  /** A backfill of `from`..`to` (inclusive dates), enqueued as `timetap-sync backfill` does. */
  runBackfill(range: { from: string; to: string }, timeoutMs?: number): Promise<SyncMeasure>;
  /** Grant times (µs, Redis clock) the shared limiter recorded during the last sync. */
  auditTimes(): Promise<number[]>;
  /** Stops the workers (their exit code must be 0) and removes the scenario's Redis keys. */
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

/** One attempt: a benchmark measures what a sync does, not how retries hide a failure. */
const BENCH_RETRY = { attempts: 1, backoffMs: 1000 };

/**
 * What every benchmark's worker processes are started with besides their account(s): the bench's
 * database, Redis and queue prefix, the limiter's audit on, a schedule that never fires, a free
 * loopback port and quiet logs. `extra` comes last and wins.
 */
export function benchWorkerEnv(
  target: { databaseUrl: string; redisUrl: string; prefix: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    TIMETAP_LIMITER_AUDIT: 'true',
    DATABASE_URL: target.databaseUrl,
    REDIS_URL: target.redisUrl,
    QUEUE_PREFIX: target.prefix,
    // Never due during a benchmark: only the enqueued jobs run.
    SYNC_SCHEDULE: '0 0 1 1 *',
    // Loopback even where the launch sets 0.0.0.0 (the image's ENV).
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    LOG_LEVEL: 'warn',
    SHUTDOWN_GRACE_MS: '5000',
    ...extra,
  };
}

/** The bench's own client of the workers' queue: to enqueue, await jobs and read Redis. */
export interface BenchQueue {
  redis: Redis;
  queue: Queue;
  events: QueueEvents;
  /** Empties the queue, deletes every key of the prefix and closes the connections. */
  close(): Promise<void>;
}

export async function openBenchQueue(redisUrl: string, prefix: string): Promise<BenchQueue> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('sync', { connection: redis, prefix });
  const eventsConnection = redis.duplicate();
  const events = new QueueEvents('sync', { connection: eventsConnection, prefix });
  // One listener per job awaited: many jobs awaited at once (fifty accounts) is not a leak.
  events.setMaxListeners(0);
  await events.waitUntilReady();
  return {
    redis,
    queue,
    events,
    async close() {
      await queue.obliterate({ force: true }).catch(() => undefined);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      await events.close();
      await queue.close();
      eventsConnection.disconnect();
      redis.disconnect();
    },
  };
}

export async function createSyncHarness(options: {
  sim: Simulator;
  databaseUrl: string;
  redisUrl: string;
  budget: Budget;
  workerConcurrency?: number;
  /** More settings of the worker processes (APPOINTMENTS_*, say). */
  env?: Record<string, string>;
  /** How the worker processes start (worker-process.ts); from src/ through tsx unless said. */
  launch?: WorkerLaunch;
}): Promise<SyncHarness> {
  const { sim, budget } = options;
  const prefix = `tts-bench-${randomBytes(4).toString('hex')}`;
  const env = benchWorkerEnv(
    { ...options, prefix },
    {
      ...simulatorAccountEnv(sim, budget),
      WORKER_CONCURRENCY: String(options.workerConcurrency ?? 4),
      ...options.env,
    },
  );
  const bench = await openBenchQueue(options.redisUrl, prefix);
  const { redis, queue, events } = bench;
  const auditKey = `${prefix}:timetap:budget`;
  let workers: WorkerProcess[] = [];

  const stopWorkers = async () => {
    const codes = await Promise.all(workers.map((w) => w.stop()));
    const bad = codes.filter((code) => code !== 0);
    const problems = workers.flatMap((w) => w.problems);
    workers = [];
    if (bad.length > 0) throw new Error(`worker exited with ${bad.join(', ')}: ${problems.join('\n')}`);
  };

  /** Enqueues one job and waits for it: the wall time from the enqueue, the simulator's calls. */
  const measure = async (enqueue: () => Promise<Job>, timeoutMs: number): Promise<SyncMeasure> => {
    if (workers.length === 0) throw new Error('no worker is running');
    await redis.del(`${auditKey}:audit`);
    sim.resetCalls();
    const startedAt = performance.now();
    const job = await enqueue();
    const result = (await job.waitUntilFinished(events, timeoutMs)) as Record<string, unknown> & {
      status?: string;
      skipped?: string;
    };
    const wallMs = performance.now() - startedAt;
    if (result.skipped) throw new Error(`the ${job.name} job was skipped: ${result.skipped}`);
    return {
      wallMs,
      apiCalls: sim.calls.length,
      status: result.status ?? 'unknown',
      maxInFlight: sim.stats().maxInFlight,
      result,
    };
  };

  return {
    prefix,
    async startWorkers(count) {
      // LOG_LEVEL=info for the readiness line, then only warnings matter.
      const started = await Promise.all(
        Array.from({ length: count }, () =>
          startWorkerProcess({ ...env, LOG_LEVEL: 'info' }, { launch: options.launch }),
        ),
      );
      workers.push(...started);
      return started;
    },
    runFullSync: (timeoutMs = 30 * 60_000) =>
      measure(() => queue.add(JOB.fullSync, { trigger: 'bench' }, { ...jobOptions(BENCH_RETRY) }), timeoutMs),
    runBackfill: (range, timeoutMs = 30 * 60_000) =>
      measure(async () => {
        const { jobId } = await enqueueBackfill(queue, { ...range, trigger: 'bench' }, BENCH_RETRY);
        const job = await queue.getJob(jobId);
        if (!job) throw new Error(`the backfill job ${jobId} vanished`);
        return job;
      }, timeoutMs),
    auditTimes: () => readLimiterAudit(redis, auditKey),
    stopWorkers,
    async close() {
      await stopWorkers().catch(() => undefined);
      await bench.close();
    },
  };
}

/**
 * The account of every measurement: the simulator's keys and a fixed budget. Measured against the
 * bound of that budget, so the rate is not learned; a section that learns it says so in `env`.
 */
export function simulatorAccountEnv(sim: Simulator, budget: Budget): Record<string, string> {
  return {
    TIMETAP_BASE_URL: sim.url,
    TIMETAP_API_KEY: sim.credentials.apiKey,
    TIMETAP_PRIVATE_KEY: sim.credentials.privateKey,
    TIMETAP_MAX_RPS: String(budget.maxRps),
    TIMETAP_MAX_CONCURRENCY: String(budget.maxConcurrency),
    TIMETAP_ADAPTIVE_RATE: 'false',
  };
}

/** The fastest a sync of `calls` requests can be: max(calls / rate, calls x latency / in-flight). */
export function apiBoundMs(calls: number, budget: Budget, latencyMs: number): number {
  return Math.max((calls / budget.maxRps) * 1000, (calls * latencyMs) / budget.maxConcurrency);
}
