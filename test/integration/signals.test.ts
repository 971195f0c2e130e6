/**
 * SIGINT and SIGTERM as a person or an orchestrator sends them (src/signals.ts): the first one
 * starts the worker's graceful shutdown, a second one of either kind ends the process at once;
 * a command without a shutdown of its own (migrate waiting for the migration lock) ends at the
 * first.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { MIGRATION_LOCK_KEY } from '../../src/db/migrate.js';
import type { Simulator } from '../../src/simulator/index.js';
import { runCli, startCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { deletePrefixed } from '../helpers/redis.js';
import { simulatorEnv, workerProcessEnv } from '../helpers/sync.js';
import { useSimulator } from '../helpers/use-simulator.js';

const ADMIN_TOKEN = 'signals-test-admin-token-0123456789';

let sim: Simulator;
const databases: TestDatabase[] = [];
const prefixes: string[] = [];

useSimulator({ seed: 5, locations: 3 }, (started) => (sim = started));
afterAll(async () => {
  for (const database of databases) await database.close();
  const redis = new Redis(inject('redisUrl'));
  for (const prefix of prefixes) await deletePrefixed(redis, prefix);
  redis.disconnect();
});

/** A database and a queue prefix of the test's own: a killed worker leaves its job behind. */
async function isolated(): Promise<{ database: TestDatabase; prefix: string }> {
  const database = await createTestDatabase(inject('databaseUrl'));
  databases.push(database);
  const prefix = `tts-signals-${randomBytes(4).toString('hex')}`;
  prefixes.push(prefix);
  return { database, prefix };
}

describe('signals', () => {
  it.each([
    ['SIGTERM', 'SIGINT', 130],
    ['SIGINT', 'SIGTERM', 143],
  ] as const)(
    'the worker: %s starts the graceful shutdown, then %s ends it at once',
    async (first, second, code) => {
      const { database, prefix } = await isolated();
      const env = workerProcessEnv(
        sim,
        { databaseUrl: database.url, redisUrl: inject('redisUrl'), prefix },
        // Longer than the test: only the second signal can end the shutdown in time.
        { ADMIN_TOKEN, SHUTDOWN_GRACE_MS: '60000' },
      );
      const worker = startCli(['worker'], env);
      try {
        const started = await worker.waitFor(/"msg":"worker started"/);
        const url = (JSON.parse(started) as { url: string }).url;
        sim.setLatency(30_000); // a sync in flight that will not finish by itself
        const calls = sim.calls.length;
        const resync = await fetch(`${url}/resync`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        expect(resync.status).toBe(202);
        for (let i = 0; i < 100 && sim.calls.length === calls; i++) await sleep(100);
        expect(sim.calls.length).toBeGreaterThan(calls);

        worker.child.kill(first);
        await worker.waitFor(/shutting down/);
        await sleep(1_000);
        expect(worker.child.exitCode, 'the first signal waits for running work').toBeNull();

        const secondAt = Date.now();
        worker.child.kill(second);
        const exit = await Promise.race([worker.exited, sleep(10_000, undefined)]);
        expect(exit, worker.output()).toBeDefined();
        expect(exit?.code).toBe(code);
        expect((exit?.at ?? Number.POSITIVE_INFINITY) - secondAt).toBeLessThan(3_000);
        expect(worker.output()).toContain(`${second} again: exiting now`);
      } finally {
        sim.setLatency(0);
        worker.child.kill('SIGKILL');
        await worker.exited;
      }
    },
    60_000,
  );

  it('a command without a shutdown of its own (migrate waiting for the lock) ends at the first signal', async () => {
    const { database } = await isolated();
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const migrate = startCli(['migrate'], { DATABASE_URL: database.url, LOG_LEVEL: 'info' });
    try {
      // It is connected and waiting on the lock once Postgres shows its session waiting.
      for (let i = 0; i < 100; i++) {
        const waiting = await holder.query(
          `SELECT 1 FROM pg_stat_activity WHERE application_name = 'timetap-sync migrate' AND wait_event_type = 'Lock'`,
        );
        if ((waiting.rowCount ?? 0) > 0) break;
        await sleep(100);
      }
      const signalledAt = Date.now();
      migrate.child.kill('SIGTERM');
      const exit = await Promise.race([migrate.exited, sleep(10_000, undefined)]);
      expect(exit, migrate.output()).toBeDefined();
      // Ended by the signal, as Node's default would (143 = 128 + SIGTERM, as a shell reports it).
      expect(exit?.code === 143 || exit?.signal === 'SIGTERM', JSON.stringify(exit)).toBe(true);
      expect((exit?.at ?? Number.POSITIVE_INFINITY) - signalledAt).toBeLessThan(3_000);
    } finally {
      migrate.child.kill('SIGKILL');
      await holder.end();
    }
  }, 30_000);

  it('sync: a second SIGTERM, while the run cannot close by itself, still closes it as failed, then exits', async () => {
    const { database } = await isolated();
    const env = { ...simulatorEnv(sim), DATABASE_URL: database.url, LOG_LEVEL: 'warn' };
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    // Taken before the run starts (its row is written elsewhere): the run's first read of
    // `locations` waits behind it, and so does its close, so the first signal cannot close it.
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE locations IN ACCESS EXCLUSIVE MODE');
    const sync = startCli(['sync'], env);
    try {
      const run = await eventually(async () => {
        const rows = await database.db.syncRun.findMany({ where: { status: 'running' } });
        return rows[0];
      });
      await eventually(async () => {
        const waiting = await holder.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        return (waiting.rowCount ?? 0) > 0 || undefined;
      });
      sync.child.kill('SIGTERM');
      await sleep(1_000);
      expect(sync.child.exitCode, 'the first signal waits for the run to close').toBeNull();
      const secondAt = Date.now();
      sync.child.kill('SIGTERM');
      const exit = await Promise.race([sync.exited, sleep(10_000, undefined)]);
      expect(exit, sync.output()).toBeDefined();
      expect(exit?.code).toBe(143);
      expect((exit?.at ?? Number.POSITIVE_INFINITY) - secondAt).toBeLessThan(3_000);
      const closed = await database.db.syncRun.findUniqueOrThrow({ where: { id: run.id } });
      expect(closed.status).toBe('failed');
      expect(closed.finishedAt).not.toBeNull();
      expect(closed.error).toBe('interrupted: SIGTERM twice, the process ended before the run did');
    } finally {
      sync.child.kill('SIGKILL');
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
  }, 60_000);

  it('sync killed outright: the next sync, past SYNC_STALE_RUN_MS, marks the dead run abandoned', async () => {
    const { database } = await isolated();
    const env = { ...simulatorEnv(sim), DATABASE_URL: database.url, SYNC_STALE_RUN_MS: '2000' };
    sim.setLatency(30_000);
    const killed = startCli(['sync'], env);
    let dead: { id: number } | undefined;
    try {
      dead = await eventually(
        async () => (await database.db.syncRun.findMany({ where: { status: 'running' } }))[0],
      );
    } finally {
      killed.child.kill('SIGKILL');
      await killed.exited;
      sim.setLatency(0);
    }
    await sleep(2_500);
    expect((await database.db.syncRun.findUniqueOrThrow({ where: { id: dead.id } })).status).toBe('running');
    const next = await runCli(['sync'], env);
    expect(next.code, next.stderr).toBe(0);
    const runs = await database.db.syncRun.findMany({ orderBy: { id: 'asc' } });
    expect(runs.map((r) => [r.id, r.status, r.error])).toEqual([
      [dead.id, 'abandoned', 'process died'],
      [expect.any(Number), 'succeeded', null],
    ]);
  }, 60_000);
});

async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await sleep(100);
  }
}
