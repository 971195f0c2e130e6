/**
 * TimeTap's webhook with several accounts (TIMETAP_ACCOUNTS_FILE): the secret in the URL names
 * the account, since TimeTap's payload does not. Each account's secret queues the event under
 * that account, and one appointment id in two accounts is two events; a wrong secret is refused
 * as with one account, and never locks the right ones out. Both accounts are the simulator's one
 * (TimeTap ids may collide across accounts: here they always do).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { webhookSecrets } from '../../src/commands/worker.js';
import { loadConfig } from '../../src/config.js';
import type { HttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import type { AppointmentEventData } from '../../src/queue/jobs.js';
import { createRedactor } from '../../src/redact.js';
import type { Simulator } from '../../src/simulator/index.js';
import type { TestDatabase } from '../helpers/database.js';
import { useSyncFixture, WALK_TABLES } from '../helpers/use-sync-fixture.js';
import { startWebhookServer } from '../helpers/webhook-server.js';
import { useWorkerHarness, type WorkerHarness } from '../helpers/worker.js';

const NORTH = randomBytes(16).toString('hex');
const SOUTH = randomBytes(16).toString('hex');
const logLines: string[] = [];
// The HTTP server's logger knows no secret: the test proves it never writes either.
const httpLogger = createLogger({
  level: 'debug',
  redactor: createRedactor(),
  destination: { write: (line: string) => void logLines.push(line) },
});
const dir = mkdtempSync(join(tmpdir(), 'webhook-accounts-'));

let database: TestDatabase;
let sim: Simulator;
let harness: WorkerHarness;
let http: HttpServer;
let url: string;

/** Two accounts on the simulator, each with its own webhook secret (one from the environment). */
function accountsFile(simulator: Simulator): string {
  const keys = { apiKey: simulator.credentials.apiKey, privateKey: simulator.credentials.privateKey };
  const path = join(dir, `accounts-${randomBytes(4).toString('hex')}.json`);
  const accounts = [
    { name: 'north', ...keys, baseUrl: simulator.url, webhookSecret: NORTH },
    { name: 'south', ...keys, baseUrl: simulator.url, webhookSecretEnv: 'SOUTH_WEBHOOK_SECRET' },
  ];
  writeFileSync(path, JSON.stringify({ accounts }));
  return path;
}

useSyncFixture(
  {
    simulator: { seed: 43, locations: 1, latencyMs: 2 },
    simulatorPer: 'file',
    tables: [...WALK_TABLES, 'clients', 'appointments'],
  },
  (fixture) => ({ sim, database } = fixture),
);
useWorkerHarness(
  () => ({
    sim,
    database,
    // The file replaces the single account's keys: they must not be set beside it.
    env: {
      TIMETAP_API_KEY: '',
      TIMETAP_PRIVATE_KEY: '',
      TIMETAP_ACCOUNTS_FILE: accountsFile(sim),
      SOUTH_WEBHOOK_SECRET: SOUTH,
    },
  }),
  (created) => (harness = created),
);
beforeEach(async () => {
  const worker = await harness.start();
  const { registry, metrics } = createMetrics();
  const secrets = webhookSecrets(loadConfig(harness.env, ['timetap', 'database', 'redis']));
  expect(secrets.map((s) => s.account)).toEqual(['north', 'south']);
  ({ http, url } = await startWebhookServer({
    worker,
    env: harness.env,
    secret: secrets,
    logger: httpLogger,
    registry,
    metrics,
  }));
});
afterEach(async () => {
  await http.close();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  const all = logLines.join('');
  expect(all).not.toContain(NORTH);
  expect(all).not.toContain(SOUTH);
});

const post = (secret: string, calendarId: number) =>
  fetch(`${url}/webhooks/timetap/${secret}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ calendarId }),
  });

async function queued(res: Response): Promise<{ jobId: string; coalesced: boolean }> {
  expect(res.status).toBe(200);
  return (await res.json()) as { jobId: string; coalesced: boolean };
}

describe('the webhook with several accounts', () => {
  it('queues each event under the account its secret names: one appointment id in two accounts is two jobs', async () => {
    const [id] = [...sim.data.appointments.keys()] as [number];
    const north = await queued(await post(NORTH, id));
    const south = await queued(await post(SOUTH, id));
    expect([north.coalesced, south.coalesced]).toEqual([false, false]);
    expect(north.jobId).not.toBe(south.jobId);
    // Another event for north's appointment coalesces with north's job, not with south's.
    expect(await queued(await post(NORTH, id))).toEqual({ jobId: north.jobId, coalesced: true });
    expect(await queued(await post(SOUTH, id))).toEqual({ jobId: south.jobId, coalesced: true });

    for (const [jobId, account] of [
      [north.jobId, 'north'],
      [south.jobId, 'south'],
    ] as const) {
      const job = await harness.queue.getJob(jobId);
      if (job === undefined) throw new Error(`job ${jobId} is not in the queue`);
      expect(job.data as AppointmentEventData).toMatchObject({ account, calendarId: id });
      // Each runs as its own account's job (an account not configured would fail it).
      const result = (await harness.waitFor(job)) as { calendarId: number };
      expect(result.calendarId).toBe(id);
    }
    expect(sim.calls.filter((c) => c.path === `/appointments/${id}`)).toHaveLength(2);
  });

  it('refuses a wrong secret (401, nothing queued); a guesser never locks the right secrets out', async () => {
    const [id] = [...sim.data.appointments.keys()] as [number];
    const guesses = await Promise.all(
      // Close to the right one, but never it ('g' is no hex digit).
      Array.from({ length: 25 }, (_, i) => post(`g${i}${NORTH.slice(String(i).length + 1)}`, id)),
    );
    const statuses = guesses.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    expect(
      await harness.queue.getJobCountByTypes('waiting', 'active', 'completed', 'failed', 'delayed'),
    ).toBe(0);
    expect((await queued(await post(NORTH, id))).coalesced).toBe(false);
    expect((await queued(await post(SOUTH, id))).coalesced).toBe(false);
    expect(await harness.queue.getJobCountByTypes('waiting', 'active', 'completed', 'delayed')).toBe(2);
  });
});
