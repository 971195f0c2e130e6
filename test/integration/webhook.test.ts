/**
 * TimeTap's webhook end to end: the simulator POSTs each appointment change (as JSON and in the
 * docs' own malformed shape) to the worker's HTTP endpoint, the event is queued, and a worker
 * reads the appointment at its own URL into the mirror. Bursts coalesce per appointment; wrong
 * secrets, bodies without an id, wrong types and oversized bodies are refused before anything is
 * queued; an older window read never overwrites a newer webhook read.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordJobMetrics } from '../../src/commands/job-metrics.js';
import type { HttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import type { SyncWorker } from '../../src/queue/worker.js';
import { createRedactor } from '../../src/redact.js';
import type { Simulator } from '../../src/simulator/index.js';
import { refreshAppointment } from '../../src/sync/appointment-event.js';
import { storeAppointments } from '../../src/sync/appointment-store.js';
import { emptyStats } from '../../src/sync/stats.js';
import { runCli } from '../helpers/cli.js';
import type { TestDatabase } from '../helpers/database.js';
import { createTestSyncDeps } from '../helpers/sync.js';
import { useSyncFixture, WALK_TABLES } from '../helpers/use-sync-fixture.js';
import { startWebhookServer } from '../helpers/webhook-server.js';
import { useWorkerHarness, type WorkerHarness } from '../helpers/worker.js';

const SECRET = randomBytes(16).toString('hex');
const logLines: string[] = [];
// The HTTP server's logger knows no secret: the test proves it never writes the webhook's.
const httpLogger = createLogger({
  level: 'debug',
  redactor: createRedactor(),
  destination: { write: (line: string) => void logLines.push(line) },
});

let database: TestDatabase;
let sim: Simulator;
let harness: WorkerHarness;
let http: HttpServer;
let sync: SyncWorker;
let hook: string;
let metricsText: () => Promise<string>;

useSyncFixture(
  {
    simulator: { seed: 41, locations: 2, latencyMs: 2 },
    simulatorPer: 'test',
    tables: [...WALK_TABLES, 'clients', 'appointments'],
  },
  (fixture) => ({ sim, database } = fixture),
);
useWorkerHarness(
  () => ({ sim, database, env: { WEBHOOK_SECRET: SECRET } }),
  (created) => (harness = created),
);
afterAll(() => {
  const all = logLines.join('');
  expect(all).not.toContain(SECRET);
});
beforeEach(async () => {
  const { registry, metrics } = createMetrics();
  sync = await harness.start({ metrics });
  recordJobMetrics(sync.worker, metrics);
  metricsText = () => registry.metrics();
  ({ http, hook } = await startWebhookServer({
    worker: sync,
    env: harness.env,
    secret: SECRET,
    logger: httpLogger,
    registry,
    metrics,
  }));
});
afterEach(async () => {
  await http.close();
});

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function row(id: number) {
  const [found] = await database.db.$queryRaw<
    Array<{ status: string; start_date: string; deleted: boolean }>
  >`
    SELECT status, start_date, deleted_at IS NOT NULL AS deleted FROM appointments WHERE id = ${id}`;
  return found;
}

async function drained(): Promise<boolean> {
  const counts = await harness.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
  return Object.values(counts).every((n) => n === 0);
}

const post = (
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
  url = hook,
) => fetch(url, { method: 'POST', headers, body });

describe('the TimeTap webhook', () => {
  it('mirrors a booking, its cancellation and its deletion within seconds, from JSON and from the docs-shaped body', async () => {
    sim.setWebhook({ url: hook, format: 'mixed' });
    // Each delivery answered 200 (a refusal says why, from the server's log), then the row follows.
    const delivered = async () => {
      await sim.webhooksSettled();
      const refused = logLines.filter((line) => line.includes('could not queue'));
      expect(sim.webhooks.at(-1)?.status, refused.join('')).toBe(200);
    };
    const id = sim.data.bookAppointment();
    await delivered();
    await until(async () => (await row(id))?.status === sim.data.appointments.get(id)?.status);
    sim.data.cancelAppointment(id);
    await delivered();
    await until(async () => (await row(id))?.status === 'CANCELLED');
    sim.data.deleteAppointment(id);
    await delivered();
    await until(async () => (await row(id))?.deleted === true);
    await sim.webhooksSettled();
    expect(sim.webhooks.map((w) => [w.format, w.status])).toEqual([
      ['json', 200],
      ['docs-example', 200],
      ['json', 200],
    ]);
    // Each webhook cost one read of the appointment's own URL, nothing else.
    const reads = sim.calls.filter((c) => c.path === `/appointments/${id}`);
    expect(reads).toHaveLength(3);
    expect(sim.calls.filter((c) => c.path.startsWith('/appointmentList'))).toEqual([]);
    // The lag is observed when BullMQ reports the job completed, a moment after its row is written.
    await until(async () => /timetap_sync_webhook_lag_seconds_count 3/.test(await metricsText()));
    const text = await metricsText();
    expect(text).toMatch(/timetap_sync_webhook_events_total\{outcome="accepted"\} 3/);
    expect(text).toMatch(/timetap_sync_webhook_lag_seconds_count 3/);
    // The shared budget's rate, read from Redis at start (nothing learned yet: TIMETAP_MAX_RPS).
    expect(text).toMatch(/timetap_sync_api_rate_limit\{account="default"\} \d+/);

    const status = await runCli(['status'], harness.env, 30_000);
    expect(status.stdout).toMatch(
      new RegExp(
        `webhook events: last received .* appointment ${id} \\(accepted\\); last applied .* appointment ${id} \\(tombstoned, `,
      ),
    );
    expect(status.stdout).toMatch(/request rate towards TimeTap: [\d.]+\/s/);
  });

  it('coalesces a burst: 200 events for 10 waiting appointments cost one read each', async () => {
    const ids = [...sim.data.appointments.keys()].slice(0, 10);
    await sync.worker.pause(); // the jobs wait (as behind a busy budget) while the events pour in
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => post(JSON.stringify({ calendarId: ids[i % ids.length] }))),
    );
    expect(answers.map((a) => a.status).every((s) => s === 200)).toBe(true);
    const bodies = (await Promise.all(answers.map((a) => a.json()))) as Array<{ coalesced: boolean }>;
    expect(bodies.filter((b) => !b.coalesced)).toHaveLength(ids.length);
    await sync.worker.resume();
    await until(drained);
    for (const id of ids) {
      expect(
        sim.calls.filter((c) => c.path === `/appointments/${id}`),
        `appointment ${id}`,
      ).toHaveLength(1);
      expect((await row(id))?.status).toBe(sim.data.appointments.get(id)?.status);
    }
    expect(await metricsText()).toContain('timetap_sync_webhook_events_total{outcome="coalesced"} 190');
  });

  it('an event that arrives while its appointment is being read gets one more read, after that one', async () => {
    const [id] = [...sim.data.appointments.keys()] as [number];
    sim.setLatency(800);
    expect((await post(JSON.stringify({ calendarId: id }))).status).toBe(200);
    await until(async () => sim.calls.some((c) => c.path === `/appointments/${id}`));
    // The read is under way: the appointment changes, and says so three times.
    sim.data.cancelAppointment(id);
    for (let i = 0; i < 3; i++) expect((await post(JSON.stringify({ calendarId: id }))).status).toBe(200);
    await until(drained);
    await until(async () => (await row(id))?.status === 'CANCELLED');
    expect(sim.calls.filter((c) => c.path === `/appointments/${id}`)).toHaveLength(2);
  });

  it('refuses before queueing: a wrong secret (401, body unread), no id (400), a wrong type (415), too large (413)', async () => {
    const [someone] = [...sim.data.clients.values()];
    const name = String(someone?.lastName ?? 'nobody-here');
    const body = JSON.stringify({ calendarId: 1, client: { lastName: name } });
    const wrong = await post(
      body,
      { 'content-type': 'application/json' },
      hook.replace(SECRET, 'x'.repeat(32)),
    );
    expect(wrong.status).toBe(401);
    expect((await post(JSON.stringify({ client: { lastName: name } }))).status).toBe(400);
    expect((await post('{"calendarId": 7, "a": {"calendarId": 8},')).status).toBe(400);
    expect((await post(body, { 'content-type': 'multipart/form-data; boundary=x' })).status).toBe(415);
    expect((await post(`{"calendarId": 5, "pad": "${'x'.repeat(70_000)}"}`)).status).toBe(413);
    expect((await fetch(hook)).status).toBe(405);
    expect(
      await harness.queue.getJobCountByTypes('waiting', 'active', 'completed', 'failed', 'delayed'),
    ).toBe(0);
    const logged = logLines.join('');
    expect(logged).not.toContain(name);
    expect(logged).toContain('webhook call with a wrong secret refused');
    expect(logged).toContain('webhook without a usable appointment id');
    const text = await metricsText();
    for (const reason of ['secret', 'no-id', 'ambiguous-id', 'content-type', 'size'])
      expect(text).toContain(`timetap_sync_webhook_rejections_total{reason="${reason}"} 1`);
  });
});

describe('a window read racing a webhook read', () => {
  it('a chunk read at T does not overwrite the row a webhook read wrote at T + 5 s', async () => {
    const deps = { ...createTestSyncDeps(sim, database.db), pageSize: 100 };
    const [id] = [...sim.data.appointments.keys()] as [number];
    const before = sim.data.appointments.get(id);
    if (!before || before.status === 'CANCELLED')
      throw new Error('the simulator should have an active appointment');
    // The chunk's page is read first (T) ...
    const page = await deps.api.appointmentPage(
      { startDate: before.startDate, endDate: before.startDate },
      1,
      100,
    );
    const chunkRead = new Date(Date.now() - 5_000);
    // ... the appointment is cancelled, and the webhook's read (now) stores that ...
    sim.data.cancelAppointment(id);
    expect((await refreshAppointment(deps, id)).outcome).toBe('stored');
    expect((await row(id))?.status).toBe('CANCELLED');
    // ... then the chunk's older read arrives: it must not bring the old status back.
    const stale = page.items.filter((a) => a.id === id);
    expect(stale.map((a) => a.status)).toEqual([before.status]);
    await storeAppointments(deps, stale, chunkRead, emptyStats());
    expect((await row(id))?.status).toBe('CANCELLED');
  });
});
