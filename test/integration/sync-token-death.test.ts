/**
 * Session tokens that die after a few calls while 8 requests are in flight (issue: "a 401 is
 * never proof that the keys are wrong"): full syncs the way `timetap-sync sync` runs them, 20 in a
 * row for each N from 1 to 5, all `succeeded`, the mirror complete, and the logins bounded. The
 * worker's side (two processes sharing the session through Redis) is fault scenario 19.
 */
import { describe, expect, it } from 'vitest';
import { SessionBreakerOpenError } from '../../src/errors.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { type Simulator, startSimulator } from '../../src/simulator/index.js';
import { runSync } from '../../src/sync/run-sync.js';
import { runCli } from '../helpers/cli.js';
import type { TestDatabase } from '../helpers/database.js';
import { expectedMirror, readMirror } from '../helpers/mirror.js';
import { createTestSyncDeps, simulatorEnv } from '../helpers/sync.js';
import { useSyncFixture } from '../helpers/use-sync-fixture.js';

let sim: Simulator;
let database: TestDatabase;
let db: PrismaClient;

useSyncFixture(
  { simulator: { seed: 17, locations: 3 }, simulatorPer: 'file' },
  (fixture) => ({ sim, database, db } = fixture),
);

const RUNS = 20;
// A window of one chunk: appointments and clients are read under dying tokens too, but 100
// syncs of the default 18 chunks each would spend minutes proving nothing more.
const ENV = { TIMETAP_MAX_CONCURRENCY: '8', APPOINTMENTS_PAST_DAYS: '3', APPOINTMENTS_FUTURE_DAYS: '3' };
const logins = () => sim.calls.filter((c) => c.path === '/sessionToken').length;
const dataCalls = () => sim.calls.filter((c) => c.path !== '/sessionToken' && c.status !== 401).length;

describe.each([1, 2, 3, 4, 5])('tokens that die after %i call(s), 8 requests in flight', (n) => {
  it(`${RUNS} full syncs in a row all succeed, with at most one login per ${n} call(s) and a few more`, async () => {
    sim.setTokenMaxCalls(n);
    for (let run = 0; run < RUNS; run++) {
      sim.resetCalls();
      const deps = createTestSyncDeps(sim, db, { env: ENV });
      const summary = await runSync({ ...deps, staffConcurrency: 16 }, { scope: 'full' });
      expect(summary.status, summary.reasons.join('\n')).toBe('succeeded');
      // A token serves n calls, so calls / n logins are needed. The relogin line logs in one
      // at a time and learns what a token lasts; the bound allows for the token of the first
      // calls, whose lifetime is not known yet, and for one lost probe in four.
      const needed = Math.ceil(dataCalls() / n);
      expect(logins()).toBeGreaterThanOrEqual(needed);
      expect(logins()).toBeLessThanOrEqual(needed + 2 + Math.ceil(needed / 4));
      // No call ever took a 401 for wrong keys.
      expect(summary.reasons).toEqual([]);
    }
    expect(await readMirror(db)).toEqual(expectedMirror(sim.data.snapshot()));
  }, 90_000); // 20 syncs of about 50 calls, a login each when N = 1: slower beside other test files

  it('the command itself, `timetap-sync sync`, succeeds too (exit 0)', async () => {
    sim.setTokenMaxCalls(n);
    const result = await runCli(['sync', '--json'], {
      ...simulatorEnv(sim, ENV),
      DATABASE_URL: database.url,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'succeeded' });
    expect(result.stderr).not.toContain('rejected the API key');
  });
});

describe('a session refused although the keys were accepted', () => {
  it('fails the scope of the refused calls (one location), not the run, and never blames the keys', async () => {
    sim.setTokenMaxCalls(undefined);
    const [refused] = [...sim.data.locations.keys()] as [number];
    const stop = sim.inject({
      path: '/services',
      query: { locationId: String(refused) },
      fault: { type: 'status', status: 401 },
    });
    try {
      const summary = await runSync(createTestSyncDeps(sim, db), { scope: 'full' });
      expect(summary.status).toBe('partial');
      expect(summary.reasons).toContain(
        `location ${refused}: SessionRefusedError: TimeTap accepted the keys but refused the session for ` +
          'GET /services: the API user may lack access to it',
      );
      expect(summary.reasons.join('\n')).not.toContain('rejected the API key');
      const others = summary.reasons.filter(
        (r) => r.startsWith('location ') && !r.startsWith(`location ${refused}:`),
      );
      expect(others).toEqual([]);
    } finally {
      stop();
    }
  });

  it('stops the run early when almost every call is refused (the breaker), instead of hammering TimeTap', async () => {
    const large = await startSimulator({ seed: 19, locations: 12 });
    try {
      // Every call but the login and the location list: the run's steps (clients, chunks and
      // locations, all at once) find every session refused.
      large.inject({
        path: /^\/(staff|services|clients|appointment)/,
        fault: { type: 'status', status: 401 },
      });
      const error = await runSync(createTestSyncDeps(large, db), { scope: 'full' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SessionBreakerOpenError);
      // The run's first login, then: five refused calls open the breaker, each after at most three
      // logins (a fresh token refused on its exclusive first use is the evidence); the calls
      // already on their way (8 at most) finish. Without it, each of the 26 lists would cost three.
      const largeLogins = large.calls.filter((c) => c.path === '/sessionToken').length;
      expect(largeLogins).toBeLessThanOrEqual(1 + (5 + 8) * 3);
      expect(large.calls.filter((c) => /^\/(staff|services)/.test(c.path)).length).toBeLessThan(26 * 3);
      const [run] = await db.$queryRaw<Array<{ status: string; error: string }>>`
        SELECT status, error FROM sync_runs ORDER BY id DESC LIMIT 1`;
      expect(run?.status).toBe('failed');
      expect(run?.error).toContain('TimeTap accepted the keys but refused the session');
    } finally {
      await large.close();
    }
  });
});
