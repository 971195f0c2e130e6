/**
 * Scenario 14 (the exhausted-pool half): every connection slot Postgres allows is taken by
 * sessions sleeping in `pg_sleep`, and the worker's own connections are gone (dropped, as after a
 * network blip). New connections are refused ("too many connections"): the worker's queries must
 * fail within its configured timeouts rather than hang, the job must be retried (not given up),
 * and once the sleepers are gone the mirror converges.
 *
 * Filling the server's `max_connections` would starve everything else on this machine, so the
 * limit is the scenario database's own (`ALTER DATABASE ... CONNECTION LIMIT`), which Postgres
 * enforces the same way; superusers are exempt, so the worker and the sleepers log in as a role
 * of the scenario's own. Everything is undone in `finally`/`afterEach`, the role last.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { expect, inject, it } from 'vitest';
import { delay } from './helpers/fault-env.js';
import { expectConvergedWithoutLeaks, useFaultEnv } from './helpers/scenario.js';

const cleanups: Array<() => Promise<unknown>> = [];
// The env's cleanup drops the database WITH (FORCE): no session of the role survives it.
const faultEnv = useFaultEnv({
  afterCleanup: async () => {
    for (const undo of cleanups.splice(0).reverse()) await undo().catch(() => undefined);
  },
});

const CONNECT_TIMEOUT_MS = 1_000;
type Result = { status: string };

async function query(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

it('14: the connection slots exhausted by pg_sleep sessions: errors within the timeouts, no hang, retried after release, converged', async () => {
  const adminUrl = inject('databaseUrl');
  const e = await faultEnv({
    sim: { locations: 4 },
    env: {
      DATABASE_POOL_SIZE: '2',
      DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      DATABASE_STATEMENT_TIMEOUT_MS: '2000',
      JOB_ATTEMPTS: '10', // the location walks'; the full sync's are given where it is enqueued
      JOB_BACKOFF_MS: '300',
    },
  });
  const dbName = new URL(e.database.url).pathname.slice(1);
  const role = `tts_fault_${randomBytes(4).toString('hex')}`;
  await query(adminUrl, `CREATE ROLE "${role}" LOGIN`);
  cleanups.push(() => query(adminUrl, `DROP ROLE IF EXISTS "${role}"`));
  await query(
    e.database.url,
    `GRANT ALL ON ALL TABLES IN SCHEMA public TO "${role}"; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "${role}"`,
  );
  const roleUrl = new URL(e.database.url);
  roleUrl.username = role;
  const worker = await e.startWorker({ DATABASE_URL: roleUrl.toString() });
  expect(((await e.waitForJob(await e.resync())) as Result).status).toBe('succeeded');

  const sleepers: pg.Client[] = [];
  // A client that goes away does not wake its backend from pg_sleep: the backends are ended.
  const release = async () => {
    await query(e.database.url, `ALTER DATABASE "${dbName}" CONNECTION LIMIT -1`);
    await query(
      e.database.url,
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${role}' AND query LIKE '%pg_sleep%'`,
    );
    for (const sleeper of sleepers.splice(0)) await sleeper.end().catch(() => undefined);
  };
  try {
    // A few slots more than are in use now, every free one then taken by a sleeper; the worker's
    // own connections go too (everything it does now needs a new one) and their slots are taken.
    await query(e.database.url, `ALTER DATABASE "${dbName}" CONNECTION LIMIT 12`);
    const fill = async () => {
      for (;;) {
        const sleeper = new pg.Client({ connectionString: roleUrl.toString() });
        sleeper.on('error', () => undefined);
        try {
          await sleeper.connect();
        } catch (error) {
          expect(String(error)).toMatch(/too many connections/);
          return;
        }
        sleepers.push(sleeper);
        sleeper.query('SELECT pg_sleep(120)').catch(() => undefined);
        expect(sleepers.length).toBeLessThan(20);
      }
    };
    await fill();
    await query(
      e.database.url,
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE usename = '${role}' AND application_name = 'timetap-sync'`,
    );
    await fill();
    const [first] = [...e.sim.data.locations.keys()] as [number];
    e.sim.data.update('location', first, { locationName: 'Renamed while the slots were taken' });
    const since = worker.output().length;
    const exhaustedAt = Date.now();
    const jobId = await e.resync({}, { attempts: 10, backoffMs: 300 });
    await worker.waitForOutput(/"msg":"job failed/, 15_000);
    // No hang: refused at once, well within the connect timeout (plus a little scheduling).
    expect(Date.now() - exhaustedAt).toBeLessThan(CONNECT_TIMEOUT_MS + 3_000);
    const during = worker.output().slice(since);
    expect(during).toMatch(/too many connections/);
    expect(during).not.toMatch(/UnrecoverableError/);
    await delay(2_000);
    expect(worker.isAlive()).toBe(true);
    const state = await (await e.queue.getJob(jobId))?.getState();
    expect(['delayed', 'waiting', 'active', 'prioritized']).toContain(state);

    await release();
    const result = (await e.waitForJob(jobId, 60_000)) as Result & { reasons?: string[] };
    expect(result.status, JSON.stringify(result.reasons)).toBe('succeeded');
  } finally {
    await release().catch(() => undefined);
  }
  expect(worker.isAlive()).toBe(true);
  expect((await e.runs()).filter((r) => r.status === 'running')).toEqual([]);
  await expectConvergedWithoutLeaks(e);
});
