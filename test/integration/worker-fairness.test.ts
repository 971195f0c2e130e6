/**
 * The sync worker with two accounts (account-fairness.ts wired in worker.ts and run-job.ts): a
 * backfill's chunks go into the queue behind the other account's sync, every job goes through
 * its account's admission, and both runs finish. How admission shares the slots is tested with a
 * bare BullMQ Worker in queue-account-fairness.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { loadConfig } from '../../src/config.js';
import { BACKFILL_PRIORITY } from '../../src/queue/account-fairness.js';
import { JOB, type StepData } from '../../src/queue/jobs.js';
import { startSyncWorker } from '../../src/queue/worker.js';
import { admissionKeys } from '../../src/redis/account-admission.js';
import type { Simulator } from '../../src/simulator/index.js';
import type { TestDatabase } from '../helpers/database.js';
import { recentAppointments, testLogging } from '../helpers/sync.js';
import { useSyncFixture, WALK_TABLES } from '../helpers/use-sync-fixture.js';
import { useWorkerHarness, type WorkerHarness } from '../helpers/worker.js';

let database: TestDatabase;
let sim: Simulator;
let harness: WorkerHarness;

useSyncFixture(
  {
    simulator: { seed: 11, locations: 3, latencyMs: 2, appointments: recentAppointments() },
    simulatorPer: 'file',
    tables: [...WALK_TABLES, 'clients', 'appointments', 'backfill_chunks'],
  },
  (fixture) => ({ sim, database } = fixture),
);
useWorkerHarness(
  () => ({ sim, database }),
  (created) => (harness = created),
);

/** The harness's configuration with a second account, `other`, of the same keys. */
function twoAccounts(): Config {
  const config = loadConfig(harness.env, ['timetap', 'database', 'redis']);
  const [first] = config.accounts;
  if (!first) throw new Error('no account configured');
  return { ...config, accounts: [first, { ...first, name: 'other' }] };
}

describe('sync worker with two accounts', () => {
  it("queues one account's backfill chunks behind the other's sync; both runs finish", async () => {
    const config = twoAccounts();
    const { logger, redactor } = testLogging(loadConfig(harness.env, ['timetap', 'database', 'redis']));
    const worker = await startSyncWorker({ config, db: database.db, logger, redactor, schedule: false });
    try {
      const range = recentAppointments(60);
      const backfill = await harness.queue.add(JOB.backfill, {
        trigger: 'test',
        from: range.from,
        to: range.to,
        account: 'other',
      });
      const sync = await harness.queue.add(JOB.fullSync, { trigger: 'test' });
      const [backfilled, synced] = (await Promise.all([
        harness.waitFor(backfill),
        harness.waitFor(sync),
      ])) as [{ status: string; chunks: number }, { status: string }];
      expect(backfilled.status).toBe('succeeded');
      expect(synced.status).toBe('succeeded');
      expect(await harness.redis.zcard(admissionKeys(harness.prefix).workers)).toBe(1);

      const done = await harness.queue.getJobs(['completed'], 0, 1_000);
      const chunks = done.filter(
        (job) => job.name === JOB.appointmentChunk && (job.data as StepData).scope === 'backfill',
      );
      expect(chunks.length).toBe(backfilled.chunks);
      expect(chunks.every((job) => job.opts.priority === BACKFILL_PRIORITY)).toBe(true);
      expect(chunks.every((job) => (job.data as StepData).account === 'other')).toBe(true);
      // The full sync's steps keep their place: no priority.
      const steps = done.filter((job) => job.name === JOB.locationWalk);
      expect(steps.length).toBeGreaterThan(0);
      expect(steps.every((job) => !job.opts.priority)).toBe(true);
    } finally {
      await worker.close();
    }
    // A closed worker's slots leave the fleet at once.
    expect(await harness.redis.zcard(admissionKeys(harness.prefix).workers)).toBe(0);
  });

  it("adds no priority to a backfill's chunks with one account", async () => {
    await harness.start();
    const range = recentAppointments(30);
    const backfill = await harness.queue.add(JOB.backfill, {
      trigger: 'test',
      from: range.from,
      to: range.to,
    });
    expect(((await harness.waitFor(backfill)) as { status: string }).status).toBe('succeeded');
    const chunks = (await harness.queue.getJobs(['completed'], 0, 1_000)).filter(
      (job) => job.name === JOB.appointmentChunk,
    );
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((job) => !job.opts.priority)).toBe(true);
    expect(await harness.redis.exists(admissionKeys(harness.prefix).workers)).toBe(0);
  });
});
