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
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MIGRATION_LOCK_KEY } from '../../src/db/migrate.js';
import { type Simulator, startSimulator } from '../../src/simulator/index.js';
import { startCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { simulatorEnv } from '../helpers/sync.js';

const ADMIN_TOKEN = 'signals-test-admin-token-0123456789';

let sim: Simulator;
const databases: TestDatabase[] = [];
const prefixes: string[] = [];

beforeAll(async () => {
  sim = await startSimulator({ seed: 5, locations: 3 });
});
afterAll(async () => {
  await sim?.close();
  for (const database of databases) await database.close();
  const redis = new Redis(inject('redisUrl'));
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  }
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
      const worker = startCli(['worker'], {
        ...simulatorEnv(sim),
        DATABASE_URL: database.url,
        REDIS_URL: inject('redisUrl'),
        QUEUE_PREFIX: prefix,
        HTTP_PORT: '0',
        ADMIN_TOKEN,
        SYNC_SCHEDULE: '0 0 1 1 *',
        // Longer than the test: only the second signal can end the shutdown in time.
        SHUTDOWN_GRACE_MS: '60000',
        LOG_LEVEL: 'info',
      });
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
});
