/**
 * Scenario 19: session tokens that die after N calls while 8 requests are in flight, with two
 * worker processes sharing the session through Redis. A 401 on a data call is never taken for
 * wrong keys: for each N from 1 to 5, 20 full syncs in a row all succeed, the mirror converges,
 * and the logins stay bounded.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { FaultEnv } from './helpers/fault-env.js';
import { useFaultEnv } from './helpers/scenario.js';
import { secretLeaks } from './helpers/secrets.js';

const faultEnv = useFaultEnv({ cleanUpAfter: 'file' });
let env: FaultEnv;
beforeAll(async () => {
  env = await faultEnv({
    sim: { locations: 3, latencyMs: 1 },
    env: {
      TIMETAP_MAX_CONCURRENCY: '8',
      TIMETAP_MAX_RPS: '500',
      WORKER_CONCURRENCY: '4',
      // A window of one chunk: the clients and appointments are walked under dying tokens too,
      // but 100 syncs of the default 18 chunks each would take minutes for nothing more.
      APPOINTMENTS_PAST_DAYS: '3',
      APPOINTMENTS_FUTURE_DAYS: '3',
    },
  });
  await env.startWorker();
  await env.startWorker();
});

const RUNS = 20;

describe('19: tokens that die after N calls, 8 in flight, two worker processes', () => {
  it.each([1, 2, 3, 4, 5])(`N = %i: ${RUNS} full syncs in a row succeed, logins bounded`, async (n) => {
    const { sim } = env;
    sim.setTokenMaxCalls(n);
    for (let run = 0; run < RUNS; run++) {
      sim.resetCalls();
      const result = (await env.waitForJob(await env.resync())) as { status: string; reasons: string[] };
      expect(result.status, result.reasons.join('\n')).toBe('succeeded');
      // A token serves n calls: calls / n logins are needed (less the n - 1 calls the token of
      // the previous run may have left). Each process logs in one at a time (its relogin line),
      // but the two race for each fresh token, so the bound allows one lost token in two.
      const calls = sim.calls.filter((c) => c.path !== '/sessionToken' && c.status !== 401).length;
      const needed = Math.ceil(calls / n);
      const logins = sim.calls.filter((c) => c.path === '/sessionToken').length;
      expect(logins).toBeGreaterThanOrEqual(Math.ceil((calls - (n - 1)) / n));
      expect(logins).toBeLessThanOrEqual(needed + 4 + Math.ceil(needed / 2));
    }
    await env.expectConverged();
    expect(env.output()).not.toContain('rejected the API key');
    expect(await secretLeaks(env)).toEqual([]);
  });
});
