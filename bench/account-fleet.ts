/**
 * Several TimeTap accounts in one mirror, synced by a fleet of real worker processes (measurement
 * 10): each account is a simulator of its own (its own port, keys and data), listed in an
 * accounts file (TIMETAP_ACCOUNTS_FILE, docs/accounts.md) with its own budget; the workers share
 * one database, one Redis and one queue under a prefix of the scenario's own. Jobs are queued as
 * `timetap-sync resync --account` and `timetap-sync backfill --account` queue them
 * (enqueueResync, enqueueBackfill), and each job's end is read from BullMQ (finishedOn, stamped
 * by the worker), so that every account has a timeline of its own.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enqueueBackfill, enqueueResync } from '../src/queue/enqueue.js';
import { admissionKeys } from '../src/redis/account-admission.js';
import { limiterKeys } from '../src/redis/limiter.js';
import { readLimiterAudit } from '../src/redis/limiter-audit.js';
import type { Simulator } from '../src/simulator/index.js';
import { benchWorkerEnv, openBenchQueue } from './sync-harness.js';
import { startWorkerProcess, type WorkerProcess } from './worker-process.js';

export interface FleetAccount {
  name: string;
  sim: Simulator;
  /** Its budget (the file's `maxRps`). */
  maxRps: number;
}

/** One job of one account, timed from its enqueue to its end (epoch ms, this machine's clock). */
export interface AccountRun {
  account: string;
  status: string;
  enqueuedAt: number;
  finishedAt: number;
  /** The job's return value. */
  result: Record<string, unknown>;
}

export interface AccountFleet {
  prefix: string;
  startWorkers(count: number, concurrency: number): Promise<void>;
  /** Every named account's full sync, queued at once; resolves when every one has finished. */
  runFullSyncs(names: readonly string[], timeoutMs?: number): Promise<AccountRun[]>;
  /** Queues the account's backfill of `from`..`to`; `done` resolves when it has finished. */
  startBackfill(name: string, range: { from: string; to: string }): Promise<{ done: Promise<AccountRun> }>;
  /** CPU time the worker processes used so far, summed (ms). */
  workersCpuMs(): number;
  /** Jobs finished so far, and the deferrals among their starts (a start beyond each job's first). */
  starts(): Promise<{ jobs: number; deferrals: number }>;
  /** Redis' own CPU time so far (INFO cpu, ms). */
  redisCpuMs(): Promise<number>;
  /** Worker slots each account holds now (fairness's admission entries, unexpired). */
  heldSlots(): Promise<number[]>;
  /** Grant times (µs, Redis clock) the account's shared limiter recorded since the last clear. */
  auditTimes(name: string): Promise<number[]>;
  clearAudits(): Promise<void>;
  /** Stops the workers: each must exit with 0. */
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

/** One attempt: a benchmark measures what a sync does, not how retries hide a failure. */
const BENCH_RETRY = { attempts: 1, backoffMs: 1000 };

export async function createAccountFleet(options: {
  accounts: readonly FleetAccount[];
  databaseUrl: string;
  redisUrl: string;
  /** TIMETAP_MAX_CONCURRENCY: each account's requests in flight. */
  maxConcurrency: number;
  /** More settings of the worker processes (APPOINTMENTS_*, say). */
  env?: Record<string, string>;
}): Promise<AccountFleet> {
  const prefix = `tts-bench-${randomBytes(4).toString('hex')}`;
  // Inline keys: the file is a secret, so it lives in a directory of its own, mode 600, and goes.
  const dir = mkdtempSync(join(tmpdir(), 'tts-bench-accounts-'));
  const accountsFile = join(dir, 'accounts.json');
  const entries = options.accounts.map(({ name, sim, maxRps }) => ({
    name,
    apiKey: sim.credentials.apiKey,
    privateKey: sim.credentials.privateKey,
    baseUrl: sim.url,
    maxRps,
  }));
  writeFileSync(accountsFile, JSON.stringify({ accounts: entries }), { mode: 0o600 });
  const env = benchWorkerEnv(
    { ...options, prefix },
    {
      TIMETAP_ACCOUNTS_FILE: accountsFile,
      TIMETAP_MAX_CONCURRENCY: String(options.maxConcurrency),
      TIMETAP_ADAPTIVE_RATE: 'false',
      ...options.env,
    },
  );
  const bench = await openBenchQueue(options.redisUrl, prefix);
  const { redis, queue, events } = bench;
  let workers: WorkerProcess[] = [];
  const auditKey = (name: string) => `${prefix}:timetap:${name}:budget`;

  const stopWorkers = async () => {
    const codes = await Promise.all(workers.map((w) => w.stop()));
    const problems = workers.flatMap((w) => w.problems);
    workers = [];
    const bad = codes.filter((code) => code !== 0);
    if (bad.length > 0) throw new Error(`worker exited with ${bad.join(', ')}: ${problems.join('\n')}`);
  };

  /** Waits for the job, then reads the worker's own stamps of it. */
  const settle = async (
    account: string,
    jobId: string,
    enqueuedAt: number,
    timeoutMs: number,
  ): Promise<AccountRun> => {
    const job = await queue.getJob(jobId);
    if (!job) throw new Error(`the job ${jobId} of ${account} vanished`);
    const result = (await job.waitUntilFinished(events, timeoutMs)) as Record<string, unknown>;
    if (typeof result.skipped === 'string')
      throw new Error(`${account}'s ${job.name} was skipped: ${result.skipped}`);
    const done = await queue.getJob(jobId);
    return {
      account,
      status: typeof result.status === 'string' ? result.status : 'unknown',
      enqueuedAt,
      finishedAt: done?.finishedOn ?? Date.now(),
      result,
    };
  };

  return {
    prefix,
    async startWorkers(count, concurrency) {
      // LOG_LEVEL=info for the readiness line; warnings are what the report keeps.
      const started = await Promise.all(
        Array.from({ length: count }, () =>
          startWorkerProcess({ ...env, WORKER_CONCURRENCY: String(concurrency), LOG_LEVEL: 'info' }),
        ),
      );
      workers.push(...started);
    },
    async runFullSyncs(names, timeoutMs = 20 * 60_000) {
      if (workers.length === 0) throw new Error('no worker is running');
      const queued = await Promise.all(
        names.map(async (account) => {
          const enqueuedAt = Date.now();
          const { jobId, existing } = await enqueueResync(queue, { account, trigger: 'bench' }, BENCH_RETRY);
          if (existing) throw new Error(`${account} already had a full sync queued`);
          return { account, jobId, enqueuedAt };
        }),
      );
      return Promise.all(queued.map((q) => settle(q.account, q.jobId, q.enqueuedAt, timeoutMs)));
    },
    async startBackfill(name, range) {
      const enqueuedAt = Date.now();
      const { jobId } = await enqueueBackfill(
        queue,
        { account: name, ...range, trigger: 'bench' },
        BENCH_RETRY,
      );
      return { done: settle(name, jobId, enqueuedAt, 20 * 60_000) };
    },
    workersCpuMs: () => workers.reduce((sum, w) => sum + (w.cpuMs() ?? Number.NaN), 0),
    async starts() {
      const jobs = await queue.getJobs(['completed', 'failed'], 0, 100_000);
      const deferrals = jobs.reduce((n, job) => n + Math.max(0, (job?.attemptsStarted ?? 1) - 1), 0);
      return { jobs: jobs.length, deferrals };
    },
    async redisCpuMs() {
      const info = await redis.info('cpu');
      const field = (name: string) =>
        Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
      return (field('used_cpu_sys') + field('used_cpu_user')) * 1000;
    },
    async heldSlots() {
      const keys = admissionKeys(prefix);
      const now = Date.now();
      const pipeline = redis.pipeline();
      for (const a of options.accounts) pipeline.zcount(keys.active(a.name), now, '+inf');
      const answers = (await pipeline.exec()) ?? [];
      return answers.map(([, count]) => Number(count));
    },
    auditTimes: (name) => readLimiterAudit(redis, auditKey(name)),
    async clearAudits() {
      const keys = options.accounts.map((a) => limiterKeys(auditKey(a.name)).audit);
      if (keys.length > 0) await redis.del(...keys);
    },
    stopWorkers,
    async close() {
      await stopWorkers().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      await bench.close();
    },
  };
}
