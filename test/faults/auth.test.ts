/**
 * Scenarios 2 and 3: the TimeTap session. A session revoked while many requests are in flight is
 * replaced by exactly one new login shared by every request; a wrong key pair fails the job at
 * once, without a retry and without touching the mirror.
 */
import { expect, it } from 'vitest';
import { MIRROR_TABLES } from '../../src/db/index.js';
import type { CallRecord } from '../../src/simulator/server.js';
import { expectConvergedWithoutLeaks, useFaultEnv } from './helpers/scenario.js';
import { secretLeaks } from './helpers/secrets.js';

const faultEnv = useFaultEnv();

const LOGIN = '/sessionToken';
const callKey = (c: CallRecord) =>
  `${c.path}?${Object.entries(c.query)
    .sort()
    .map(([k, v]) => `${k}=${v}`)
    .join('&')}`;

it('2: a session revoked with many requests in flight costs exactly one login; each call is replayed once', async () => {
  const env = await faultEnv({
    sim: { locations: 12, latencyMs: 60 },
    env: { TIMETAP_MAX_CONCURRENCY: '8', TIMETAP_MAX_RPS: '500' },
  });
  const { sim } = env;
  await env.startWorker();
  // Revoked by the 10th per-location list call: by then several others are on the wire.
  sim.inject({ path: /^\/(staff|services)/, afterCalls: 9, times: 1, fault: { type: 'revoke' } });
  const result = (await env.waitForJob(await env.resync())) as { status: string };

  expect(result.status).toBe('succeeded');
  const calls = sim.calls.filter((c) => c.path !== LOGIN);
  const rejected = calls.filter((c) => c.status === 401);
  expect(rejected.length).toBeGreaterThanOrEqual(1);
  expect(sim.stats().logins).toBe(2); // the first login and exactly one more
  const byKey = new Map<string, CallRecord[]>();
  for (const call of calls) byKey.set(callKey(call), [...(byKey.get(callKey(call)) ?? []), call]);
  for (const [key, group] of byKey) {
    expect(
      group.filter((c) => c.status === 200),
      key,
    ).toHaveLength(1);
    // A call answered 401 was sent again once, and only once.
    const statuses = group.map((c) => c.status);
    expect(statuses.length, `${key}: ${statuses.join(',')}`).toBe(statuses.includes(401) ? 2 : 1);
  }
  const [run] = await env.runs();
  expect(run?.status).toBe('succeeded');
  await expectConvergedWithoutLeaks(env);
});

it('3: a wrong key pair fails the job at once, unrecoverable, with no write and no tombstone', async () => {
  const env = await faultEnv();
  const wrongKey = `wrong-private-${'9'.repeat(30)}`;
  await env.startWorker({ TIMETAP_PRIVATE_KEY: wrongKey });
  const jobId = await env.resync();
  await expect(env.waitForJob(jobId, 20_000)).rejects.toThrow(/failed/);

  const job = await env.queue.getJob(jobId);
  expect(job?.attemptsMade).toBe(1); // not retried: the key pair will not become right
  expect(env.sim.calls.filter((c) => c.path === LOGIN).length).toBeLessThanOrEqual(1);
  expect(env.sim.calls.filter((c) => c.path !== LOGIN)).toEqual([]);
  const runs = await env.runs();
  expect(runs.map((r) => r.status)).toEqual(['failed']);
  expect(runs[0]?.error ?? '').toMatch(/auth|login|key|401/i);
  for (const table of MIRROR_TABLES) {
    const [row] = await env.database.db.$queryRawUnsafe<Array<{ n: bigint }>>(
      `SELECT count(*) AS n FROM ${table}`,
    );
    expect(Number(row?.n), table).toBe(0);
  }
  const leaks = await secretLeaks(env);
  expect(leaks).toEqual([]);
  expect(env.output()).not.toContain(wrongKey);
  expect(runs[0]?.error ?? '').not.toContain(wrongKey);
});
