/**
 * Scenario 18: the secret sweep. Every scenario of this suite ends with it (`secretLeaks`); this
 * file proves the sweep can fail, then runs the worker at its most talkative (trace logging)
 * through the faults that put request details into logs and `sync_runs.error`: re-logins, failed
 * logins, failing lists, a shutdown mid-request.
 */
import { afterEach, expect, inject, it } from 'vitest';
import { expectedSignature } from '../../src/simulator/auth.js';
import { createFaultEnv, type FaultEnv } from './helpers/fault-env.js';
import { findSecrets, secretLeaks } from './helpers/secrets.js';

let env: FaultEnv | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

it('18: the sweep finds each kind of secret when it is there', () => {
  const credentials = { apiKey: 'key-abc', privateKey: 'private-xyz' };
  const signature = expectedSignature(credentials);
  const planted: Record<string, string> = {
    'API key': 'apiKey is key-abc',
    'private key': '{"k":"private-xyz"}',
    signature: `sig ${signature}`,
    'session token': 'Bearer st:api:api:0123456789abcdef0123456789abcdef',
    'login URL': 'GET /sessionToken?apiKey=x&timestamp=1',
  };
  for (const [what, text] of Object.entries(planted)) {
    expect(findSecrets('test', text, credentials).map((l) => l.what)).toContain(what);
  }
  expect(findSecrets('test', 'GET /staff?locationId=1001 200', credentials)).toEqual([]);
});

it('18: no secret in any log line, sync_runs row or Redis key after faults, trace logging included', async () => {
  env = await createFaultEnv({
    sim: { locations: 5, latencyMs: 20 },
    env: { LOG_LEVEL: 'trace', SHUTDOWN_GRACE_MS: '500' },
    databaseUrl: inject('databaseUrl'),
    redisUrl: inject('redisUrl'),
  });
  const e = env;
  const { sim } = e;
  const [bad] = [...sim.data.locations.keys()] as [number];
  const worker = await e.startWorker();
  sim.inject({ path: '/sessionToken', times: 1, fault: { type: 'status', status: 503 } });
  sim.inject({ path: /^\/(staff|services)$/, afterCalls: 3, times: 1, fault: { type: 'revoke' } });
  sim.inject({ path: '/staff', query: { locationId: String(bad) }, fault: { type: 'status', status: 400 } });
  const first = (await e.waitForJob(await e.resync())) as { status: string };
  expect(first.status).toBe('partial');
  expect(sim.stats().logins).toBeGreaterThanOrEqual(2);

  // A shutdown in the middle of a request: the abort's error travels through every layer.
  sim.setLatency(3_000);
  const second = await e.resync();
  await worker.waitForOutput(/"msg":"job started"/);
  worker.kill('SIGTERM');
  await worker.exited;
  sim.setLatency(2);
  sim.clearFaults();
  await e.startWorker();
  const last = (await e.waitForJob(second)) as { status: string };
  expect(last.status).toBe('succeeded');
  await e.expectConverged();

  const runs = await e.runs();
  expect(runs.some((r) => (r.error ?? '').length > 0)).toBe(true); // errors were recorded, and swept
  expect(e.output().length).toBeGreaterThan(10_000);
  expect(await secretLeaks(e)).toEqual([]);
});
