/**
 * Fairness across accounts (account-fairness.ts, redis/account-admission.ts) with a real BullMQ
 * Worker on the real Redis: one account floods the queue, another's jobs still start soon; with
 * one account nothing changes; a killed process's admissions expire by themselves.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Job, Queue, Worker } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { BACKFILL_PRIORITY, createAccountFairness } from '../../src/queue/account-fairness.js';
import { JOB } from '../../src/queue/jobs.js';
import { createRedactor } from '../../src/redact.js';
import { admissionKeys, createAccountAdmission } from '../../src/redis/account-admission.js';
import { useTestRedis } from '../helpers/redis.js';

const { connect, newKey } = useTestRedis('account-fairness');
const silent = createLogger({ level: 'silent', redactor: createRedactor() });
const CONCURRENCY = 4;

interface Start {
  jobId: string;
  account: string;
  at: number;
}

/** A worker of CONCURRENCY slots whose jobs sleep `jobMs`, and what it ran when. */
function startWorker(prefix: string, accounts: string[], jobMs: number) {
  const redis = connect();
  const fairness = createAccountFairness({
    redis,
    prefix,
    accounts,
    workerId: 'test-worker',
    concurrency: CONCURRENCY,
    leaseMs: 5_000,
    spacingMs: 50,
    // Longer than any test here: an account that asked counts for the rest of the test.
    demandWindowMs: 10_000,
    logger: silent,
  });
  const starts: Start[] = [];
  const running = new Map<string, number>();
  const most = new Map<string, number>();
  const startedAt = Date.now();
  const worker = new Worker(
    'jobs',
    (job: Job<{ account?: string }>, token?: string) =>
      fairness.run(job, token, async () => {
        const account = job.data.account ?? 'default';
        starts.push({ jobId: job.id as string, account, at: Date.now() - startedAt });
        const now = (running.get(account) ?? 0) + 1;
        running.set(account, now);
        most.set(account, Math.max(most.get(account) ?? 0, now));
        await sleep(jobMs);
        running.set(account, (running.get(account) ?? 1) - 1);
      }),
    { connection: redis, prefix, concurrency: CONCURRENCY },
  );
  return {
    starts,
    most,
    elapsed: () => Date.now() - startedAt,
    async allStartedOf(account: string, count: number, timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (starts.filter((s) => s.account === account).length < count) {
        if (Date.now() > deadline) throw new Error(`${count} jobs of ${account} did not start`);
        await sleep(10);
      }
    },
    async firstStartOf(account: string, timeoutMs: number): Promise<Start> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const start = starts.find((s) => s.account === account);
        if (start) return start;
        if (Date.now() > deadline) throw new Error(`no job of ${account} started in ${timeoutMs} ms`);
        await sleep(10);
      }
    },
    async close() {
      await worker.close();
      await fairness.close();
    },
  };
}

async function flood(queue: Queue, name: string, account: string | undefined, count: number, opts = {}) {
  await queue.addBulk(
    Array.from({ length: count }, (_, i) => ({
      name,
      data: {
        ...(account ? { account } : {}),
        n: i,
        ...(name === JOB.appointmentChunk ? { scope: 'backfill' } : {}),
      },
      opts: { attempts: 1, ...opts },
    })),
  );
}

async function waitForDrain(queue: Queue, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const counts = await queue.getJobCounts('active', 'waiting', 'prioritized', 'delayed');
    if (Object.values(counts).every((n) => n === 0)) return;
    await sleep(50);
  }
  throw new Error('the queue did not drain');
}

describe('fairness across accounts', () => {
  it("starts another account's job within a second while the first's flood is still queued", async () => {
    const prefix = newKey('bull');
    const queue = new Queue('jobs', { connection: connect(), prefix });
    // 16 jobs of 800 ms on 4 slots: without admission, b's job would start after about 3.2 s.
    await flood(queue, JOB.locationSync, 'a', 16);
    await flood(queue, JOB.locationSync, 'b', 1);
    const worker = startWorker(prefix, ['a', 'b'], 800);
    try {
      const b = await worker.firstStartOf('b', 10_000);
      expect(b.at).toBeLessThan(1_000);
      const aStartedBeforeB = worker.starts.filter((s) => s.account === 'a' && s.at <= b.at).length;
      expect(aStartedBeforeB).toBeLessThanOrEqual(CONCURRENCY - 1);
      await waitForDrain(queue, 15_000);
      // a alone held at most every slot but one; every job ran once to the end, none failed: a
      // deferral is not an attempt (attempts: 1), and some were deferred (started more than once).
      expect(worker.most.get('a')).toBe(CONCURRENCY - 1);
      expect(worker.starts).toHaveLength(17);
      const failed = await queue.getJobs(['failed']);
      expect(failed).toHaveLength(0);
      const done = await queue.getJobs(['completed'], 0, 100);
      expect(done).toHaveLength(17);
      expect(done.every((job) => job.attemptsMade <= 1)).toBe(true);
      expect(done.some((job) => job.attemptsStarted > 1)).toBe(true);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it("lets another account's sync steps past a running backfill's chunks, to all but one slot", async () => {
    const prefix = newKey('bull');
    const queue = new Queue('jobs', { connection: connect(), prefix });
    await flood(queue, JOB.appointmentChunk, 'a', 20, { priority: BACKFILL_PRIORITY });
    const worker = startWorker(prefix, ['a', 'b'], 600);
    try {
      await worker.firstStartOf('a', 5_000);
      await sleep(300);
      // a's backfill is under way and the rest of its chunks wait: now b's scheduled sync comes.
      const addedAt = worker.elapsed();
      await flood(queue, JOB.locationWalk, 'b', 6);
      const b = await worker.firstStartOf('b', 5_000);
      expect(b.at - addedAt).toBeLessThan(300);
      await worker.allStartedOf('b', 6, 5_000);
      const bStarts = worker.starts.filter((s) => s.account === 'b');
      const bDone = Math.max(...bStarts.map((s) => s.at)) + 600;
      // b reached every slot but one (alone it would have 3 too: 2 rounds, 1.2 s) and finished
      // soon after; a kept the slot b leaves and had most of its chunks still to run.
      expect(worker.most.get('b')).toBe(CONCURRENCY - 1);
      expect(bDone - addedAt).toBeLessThan(2_200);
      const aDuringB = worker.starts.filter((s) => s.account === 'a' && s.at > addedAt && s.at < bDone);
      expect(aDuringB.length).toBeGreaterThan(0);
      expect(worker.starts.filter((s) => s.account === 'a' && s.at < bDone).length).toBeLessThan(12);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('shares the slots evenly between two accounts with work, after the first one alone had 3', async () => {
    const prefix = newKey('bull');
    const queue = new Queue('jobs', { connection: connect(), prefix });
    await flood(queue, JOB.locationSync, 'a', 12);
    await flood(queue, JOB.locationSync, 'b', 12);
    const worker = startWorker(prefix, ['a', 'b'], 400);
    try {
      await waitForDrain(queue, 15_000);
      expect(worker.starts).toHaveLength(24);
      // a alone took every slot but one; once b asked too, neither held more than half.
      expect(worker.most.get('a')).toBe(CONCURRENCY - 1);
      expect(worker.most.get('b')).toBe(CONCURRENCY / 2);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('changes nothing with one account: every slot, no deferral, no key of its own', async () => {
    const prefix = newKey('bull');
    const queue = new Queue('jobs', { connection: connect(), prefix });
    await flood(queue, JOB.locationSync, undefined, 12);
    const worker = startWorker(prefix, ['default'], 300);
    try {
      await waitForDrain(queue, 10_000);
      expect(worker.most.get('default')).toBe(CONCURRENCY);
      const done = await queue.getJobs(['completed'], 0, 100);
      expect(done).toHaveLength(12);
      expect(done.every((job) => job.attemptsStarted === 1)).toBe(true);
      // 3 rounds of 300 ms: nothing waited for a slot it could have had.
      expect(Math.max(...worker.starts.map((s) => s.at))).toBeLessThan(900);
      expect(await connect().keys(`${prefix}:admission:*`)).toEqual([]);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('runs the job when Redis cannot answer its admission', async () => {
    const lost = connect();
    const fairness = createAccountFairness({
      redis: lost,
      prefix: newKey('bull'),
      accounts: ['a', 'b'],
      workerId: 'lost',
      concurrency: CONCURRENCY,
      leaseMs: 5_000,
      logger: silent,
    });
    lost.disconnect();
    const job = { id: '1', name: JOB.locationSync, data: { account: 'a' } } as Job;
    expect(await fairness.run(job, 'token', async () => 'ran')).toBe('ran');
    await fairness.close();
  });

  it('counts an account that holds slots without asking for more, until it releases them', async () => {
    const prefix = newKey('bull');
    // A demand window shorter than the wait below: `a` then has work only by the slots it holds.
    const admission = createAccountAdmission(connect(), {
      prefix,
      workerId: 'only',
      concurrency: CONCURRENCY,
      leaseMs: 5_000,
      demandWindowMs: 100,
      spacingMs: 50,
    });
    try {
      for (const id of ['a1', 'a2']) expect((await admission.admit('a', id, 'sync')).admitted).toBe(true);
      await sleep(300);
      // b asks alone, but a's two jobs still run: two accounts with work, half the slots each.
      for (const id of ['b1', 'b2']) expect((await admission.admit('b', id, 'sync')).admitted).toBe(true);
      expect(await admission.admit('b', 'b3', 'sync')).toMatchObject({ admitted: false, held: 2, cap: 2 });
      // a's last slot released: b alone has work, and may take all but the reserved slot.
      await admission.release('a', 'a1');
      await admission.release('a', 'a2');
      expect(await admission.admit('b', 'b4', 'sync')).toMatchObject({ admitted: true, held: 3, cap: 3 });
    } finally {
      await admission.close();
    }
  });

  it("lets a killed process's admissions and slots expire, and renews a live one's", async () => {
    const prefix = newKey('bull');
    const options = { prefix, concurrency: CONCURRENCY, leaseMs: 600, spacingMs: 50 };
    const doomed = connect();
    const first = createAccountAdmission(doomed, { ...options, workerId: 'first' });
    for (const id of ['a1', 'a2', 'a3']) expect((await first.admit('a', id, 'sync')).admitted).toBe(true);
    expect(await first.admit('a', 'a4', 'sync')).toMatchObject({ admitted: false, held: 3, cap: 3 });
    // Alive, its leases are renewed past their 600 ms.
    await sleep(1_200);
    const other = createAccountAdmission(connect(), { ...options, workerId: 'other' });
    expect(await other.held('a')).toBe(3);
    // Killed: nothing more reaches Redis from it.
    doomed.disconnect();
    await sleep(900);
    expect(await other.held('a')).toBe(0);
    // Its 4 slots left the fleet too: the cap is 3 of the other's 4 again, not 7 of 8.
    for (const id of ['a5', 'a6', 'a7']) expect((await other.admit('a', id, 'sync')).admitted).toBe(true);
    const over = await other.admit('a', 'a8', 'sync');
    expect(over).toMatchObject({ admitted: false, cap: 3 });
    // Deferrals of one account come back one after the other, not all at once.
    const later = await other.admit('a', 'a9', 'sync');
    expect(later.admitted).toBe(false);
    if (!later.admitted && !over.admitted) expect(later.delayMs).toBeGreaterThan(over.delayMs);
    await other.close();
    await first.close().catch(() => {});
    expect(await connect().zcard(admissionKeys(prefix).workers)).toBe(0);
  });
});
