/**
 * Scenario 18: the secret sweep. Every scenario of this suite ends with it (`secretLeaks`); this
 * file proves the sweep can fail, then runs the worker at its most talkative (trace logging)
 * through the faults that put request details into logs and `sync_runs.error`: re-logins, failed
 * logins, failing lists, a shutdown mid-request.
 */
import { expect, it } from 'vitest';
import { expectedSignature } from '../../src/simulator/auth.js';
import { runCli } from '../helpers/cli.js';
import { useFaultEnv } from './helpers/scenario.js';
import { dumpRedis, findSecrets, secretLeaks } from './helpers/secrets.js';
import { spawnWorker } from './helpers/worker-process.js';

const faultEnv = useFaultEnv();

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
  const e = await faultEnv({
    sim: { locations: 5, latencyMs: 20 },
    env: { LOG_LEVEL: 'trace', SHUTDOWN_GRACE_MS: '500' },
  });
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

it('18b: credentials in the URL variables: refused in the base URL, and never printed, stored or queued', async () => {
  const e = await faultEnv({
    sim: { locations: 4 },
  });
  const { sim } = e;
  const basePassword = 'base-pass-7f3a91';
  const withUser = new URL(sim.url);
  withUser.username = 'proxy-user-0c4d';
  withUser.password = basePassword;
  // A proxy's credentials (or a typo) in TIMETAP_BASE_URL: every command refuses it, naming the
  // variable, never its value; the worker does not start.
  const refused: string[] = [];
  for (const command of [['check'], ['sync']]) {
    const result = await runCli(command, { ...e.env, TIMETAP_BASE_URL: withUser.toString() });
    expect(result.code, command.join(' ')).toBe(2);
    refused.push(result.stdout + result.stderr);
  }
  const worker = spawnWorker({ ...e.env, TIMETAP_BASE_URL: withUser.toString() });
  expect((await worker.exited).code).toBe(2);
  refused.push(worker.output());
  for (const text of refused) {
    expect(text).toContain('TIMETAP_BASE_URL must not contain a user name or password');
    expect(text).not.toContain(basePassword);
    expect(text).not.toContain('proxy-user-0c4d');
  }

  // A password in DATABASE_URL (the local Postgres trusts it) is a secret too: a worker whose
  // jobs fail in every way that leaves text in Redis (failedReason, stacktrace, the events
  // stream), in sync_runs and in its log says none of it.
  const dbPassword = 'db-pass-5e1b77';
  const database = new URL(e.database.url);
  database.password = dbPassword;
  await e.startWorker({ DATABASE_URL: database.toString(), LOG_LEVEL: 'trace' });
  const [failing] = [...sim.data.locations.keys()] as [number];
  sim.inject({
    path: '/services',
    query: { locationId: String(failing) },
    fault: { type: 'status', status: 500 },
  });
  const partial = (await e.waitForJob(await e.resync())) as { status: string };
  expect(partial.status).toBe('partial');
  sim.clearFaults();
  sim.inject({ path: '/sessionToken', fault: { type: 'status', status: 401 } });
  sim.revokeTokens();
  await expect(e.waitForJob(await e.resync({ locationId: failing }))).rejects.toThrow(/rejected the API key/);
  const check = await runCli(['check'], { ...e.env, DATABASE_URL: database.toString() });
  expect(check.code).toBe(1);

  const extra = { 'check output': check.stdout + check.stderr, refused: refused.join('\n') };
  expect(await secretLeaks(e, extra)).toEqual([]);
  const everything = [e.output(), await dumpRedis(e.redis, e.prefix), extra['check output']].join('\n');
  expect(everything).toContain('failedReason');
  expect(everything).not.toContain(dbPassword);
});
