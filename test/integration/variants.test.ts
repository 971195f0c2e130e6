/**
 * The mirror under each variant of TimeTap that other people's traffic shows (simulator's
 * variants.ts), and under all of them at once: a full sync (in process, as `timetap-sync sync`),
 * a backfill of the history (through the queue and a worker) and webhooks (through the worker's
 * HTTP endpoint) each converge on TimeTap's truth, exactly, and a second full sync rewrites
 * nothing. Every variant is met through the real client, walk and writer.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { addDays, today } from '../../src/dates.js';
import type { HttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { enqueueBackfill } from '../../src/queue/enqueue.js';
import type { BackfillResult } from '../../src/queue/jobs.js';
import { createRedactor } from '../../src/redact.js';
import { type CallRecord, type Simulator, startSimulator, type Variants } from '../../src/simulator/index.js';
import { nonClientKindOf } from '../../src/simulator/serving.js';
import { ALL_VARIANTS } from '../../src/simulator/variants.js';
import { runSync } from '../../src/sync/run-sync.js';
import type { TestDatabase } from '../helpers/database.js';
import { rowVersions } from '../helpers/mirror.js';
import { createTestSyncDeps } from '../helpers/sync.js';
import { useTestDatabase } from '../helpers/use-database.js';
import { startWebhookServer } from '../helpers/webhook-server.js';
import { createWorkerHarness, type WorkerHarness } from '../helpers/worker.js';

const TODAY = today();
const SECRET = randomBytes(16).toString('hex');
const HISTORY = { from: addDays(TODAY, -34), to: addDays(TODAY, -7) };
const WINDOW = { from: addDays(TODAY, -6), to: addDays(TODAY, 6) };
const ENV = {
  APPOINTMENTS_PAST_DAYS: '6',
  APPOINTMENTS_FUTURE_DAYS: '6',
  APPOINTMENTS_CHUNK_DAYS: '7',
  WEBHOOK_SECRET: SECRET,
};

interface Case {
  name: string;
  variants: Partial<Variants>;
  /** The report's page cap (the page-cap variant). */
  cap?: number;
  /** Session tokens that die after this many calls: 401s for the html-401 variant to answer. */
  tokenMaxCalls?: number;
  /** TimeTap's hidden rate limit: 429s for the retry-after variant. */
  hiddenRateLimit?: number;
  /** 429s that come whatever the load (the hidden limit's depend on the machine's speed). */
  throttle?: boolean;
  env?: Record<string, string>;
  /** The history a backfill reads (default HISTORY). */
  history?: { from: string; to: string };
  /** Proof that the variant was met, from the simulator's calls and the mirror. */
  met(calls: CallRecord[], sim: Simulator): Promise<void> | void;
}

const days = (c: CallRecord) =>
  (Date.parse(c.query.endDate ?? '') - Date.parse(c.query.startDate ?? '')) / 86_400_000 + 1;
const reports = (calls: CallRecord[]) => calls.filter((c) => c.path.startsWith('/appointmentList/'));
const answered = (calls: CallRecord[], path: string, status: number) =>
  calls.some((c) => c.path === path && c.status === status);
const rawCount = async (condition: string) => {
  const [row] = await database.db.$queryRawUnsafe<Array<{ n: number }>>(
    `SELECT count(*)::int AS n FROM appointments WHERE ${condition}`,
  );
  return row?.n ?? 0;
};

const CASES: Case[] = [
  {
    name: 'report order stable only by date and time',
    variants: { reportOrder: 'date-time' },
    cap: 10,
    met: (_calls, sim) => {
      // Ties of three or more: appointments that share a date and a start time.
      const slots = new Map<string, number>();
      for (const a of sim.data.findAppointments({ from: HISTORY.from, to: WINDOW.to })) {
        const slot = `${a.startDate} ${a.startTime}`;
        slots.set(slot, (slots.get(slot) ?? 0) + 1);
      }
      expect(Math.max(...slots.values())).toBeGreaterThanOrEqual(3);
    },
  },
  {
    name: 'no reportWithCount',
    variants: { reportWithCount: 'absent' },
    met: (calls) => expect(answered(calls, '/appointmentList/reportCount', 200)).toBe(true),
  },
  {
    name: 'an unreadable reportWithCount',
    variants: { reportWithCount: 'unreadable' },
    met: (calls) => expect(answered(calls, '/appointmentList/reportCount', 200)).toBe(true),
  },
  {
    name: 'a reportCount that answers a bare number',
    variants: { reportWithCount: 'absent', reportCount: 'number' },
    met: (calls) => expect(answered(calls, '/appointmentList/reportCount', 200)).toBe(true),
  },
  {
    name: 'a report without statusList holding OPEN and PENDING',
    variants: { statusDefault: ['OPEN', 'PENDING'] },
    met: (calls) => expect(reports(calls).every((c) => c.query.statusList !== undefined)).toBe(true),
  },
  {
    name: '401 as an HTML page',
    variants: { html401: true },
    tokenMaxCalls: 9,
    met: (calls) => expect(calls.filter((c) => c.status === 401).length).toBeGreaterThan(0),
  },
  {
    name: '429 without Retry-After',
    variants: { retryAfter: false },
    hiddenRateLimit: 60,
    throttle: true,
    met: (calls) => expect(calls.filter((c) => c.status === 429).length).toBeGreaterThan(0),
  },
  {
    name: 'tokens st.api.api.<hex>',
    variants: { tokenStyle: 'dotted' },
    met: (calls) =>
      expect(calls.filter((c) => c.authorized && c.path !== '/sessionToken').length).toBeGreaterThan(0),
  },
  {
    name: 'report pages capped at 10',
    variants: {},
    cap: 10,
    met: (calls) => expect(reports(calls).some((c) => Number(c.query.pageNumber) > 2)).toBe(true),
  },
  {
    name: 'time-off and class entries in reports',
    variants: { nonClientEntries: true },
    met: async () => {
      expect(await rawCount(`raw->>'appointmentType' = 'TIME_OFF'`)).toBeGreaterThan(0);
      expect(await rawCount(`raw ? 'classScheduleId'`)).toBeGreaterThan(0);
      // Every entry has the kind it was served as; the views count the client bookings.
      const kinds = await database.db.$queryRaw<Array<{ id: bigint; kind: string }>>`
        SELECT id, kind FROM appointments`;
      for (const { id, kind } of kinds)
        expect(kind, `appointment ${id}`).toBe(nonClientKindOf(Number(id)) ?? 'appointment');
      const [counted] = await database.db.$queryRaw<Array<{ booked: number; bookings: number }>>`
        SELECT (SELECT count(*)::int FROM appointments_view) AS booked,
               (SELECT count(*)::int FROM appointments WHERE deleted_at IS NULL AND kind = 'appointment') AS bookings`;
      expect(counted?.booked).toBe(counted?.bookings);
      expect(await rawCount(`deleted_at IS NULL AND kind <> 'appointment'`)).toBeGreaterThan(0);
    },
  },
  {
    name: 'location time zones as objects, legacy names and null',
    variants: { locationTimeZones: 'mixed' },
    met: async () => {
      const [row] = await database.db.$queryRaw<Array<{ legacy: number; nulls: number }>>`
        SELECT count(*) FILTER (WHERE raw->>'timeZoneCode' LIKE 'US/%')::int AS legacy,
               count(*) FILTER (WHERE raw->'timeZone' = 'null'::jsonb AND NOT raw ? 'timeZoneCode')::int AS nulls
        FROM locations`;
      expect(row?.legacy).toBeGreaterThan(0);
      expect(row?.nulls).toBeGreaterThan(0);
      // A zone as object or legacy name is the location's time_zone; start_at follows it.
      const zones = await database.db.$queryRaw<
        Array<{ id: bigint; time_zone: string | null; raw: Record<string, unknown> }>
      >`
        SELECT id, time_zone, raw FROM locations`;
      for (const z of zones) {
        const zone = z.raw.timeZone as { timeZoneCode?: string } | null | undefined;
        const expected =
          zone?.timeZoneCode ?? (typeof z.raw.timeZoneCode === 'string' ? z.raw.timeZoneCode : null);
        expect(z.time_zone, `location ${z.id}`).toBe(expected);
      }
      expect(
        await rawCount(
          `start_at IS NOT NULL AND location_id IN (SELECT id FROM locations WHERE time_zone LIKE 'US/%')`,
        ),
      ).toBeGreaterThan(0);
      expect(
        await rawCount(
          `start_at IS DISTINCT FROM (SELECT local_start AT TIME ZONE l.time_zone FROM locations l WHERE l.id = location_id)`,
        ),
      ).toBe(0);
    },
  },
  {
    name: 'impossible dates',
    variants: { impossibleDates: true },
    met: async () => {
      expect(await rawCount(`raw->>'endDate' LIKE '%-02-30'`)).toBeGreaterThan(0);
      // Typed columns hold valid values only: the impossible date is NULL there.
      expect(
        await rawCount(
          `raw->>'endDate' LIKE '%-02-30' AND (end_date IS NOT NULL OR duration_minutes IS NOT NULL)`,
        ),
      ).toBe(0);
      expect(await rawCount(`raw->>'endDate' LIKE '%-02-30' AND start_date IS NOT NULL`)).toBeGreaterThan(0);
    },
  },
  {
    name: '504 on report pages above 30',
    variants: { gatewayTimeoutAbove: 30 },
    met: (calls) => expect(reports(calls).some((c) => c.status === 504)).toBe(true),
  },
  {
    name: 'report ranges of at most 93 days (chunks of 100 asked)',
    variants: { maxReportDays: 93 },
    env: { APPOINTMENTS_CHUNK_DAYS: '100' },
    history: { from: addDays(TODAY, -190), to: addDays(TODAY, -7) },
    met: (calls) => {
      expect(Math.max(...reports(calls).map(days))).toBe(93);
      expect(reports(calls).filter((c) => c.status !== 200)).toEqual([]);
    },
  },
  {
    name: 'all at once',
    variants: { ...ALL_VARIANTS },
    cap: 10,
    tokenMaxCalls: 25,
    hiddenRateLimit: 80,
    throttle: true,
    met: (calls) => {
      expect(answered(calls, '/appointmentList/reportCount', 200)).toBe(true);
      expect(calls.some((c) => c.status === 401)).toBe(true);
      expect(calls.some((c) => c.status === 429)).toBe(true);
    },
  },
];

let database: TestDatabase;
let sim: Simulator | undefined;
let harness: WorkerHarness | undefined;
let http: HttpServer | undefined;

useTestDatabase([], (created) => (database = created));
afterEach(async () => {
  await http?.close();
  await harness?.cleanup();
  await sim?.close();
  http = undefined;
  harness = undefined;
  sim = undefined;
});

async function setUp(c: Case): Promise<{ sim: Simulator; harness: WorkerHarness; hook: string }> {
  await database.db.$executeRawUnsafe(
    'TRUNCATE locations, staff, services, location_staff, location_services, staff_services, clients, appointments, backfill_chunks, sync_runs, account_profiles',
  );
  sim = await startSimulator({
    seed: 61,
    locations: 3,
    today: TODAY,
    appointments: { from: HISTORY.from, to: WINDOW.to, perStaffPerDay: 1 },
    variants: c.variants,
    ...(c.cap ? { reportPaging: { maxPageSize: c.cap } } : {}),
    ...(c.tokenMaxCalls ? { tokenMaxCalls: c.tokenMaxCalls } : {}),
    ...(c.hiddenRateLimit ? { hiddenRateLimit: c.hiddenRateLimit } : {}),
  });
  // Retry-After as TimeTap would send it: the retry-after variant takes it away.
  if (c.throttle)
    sim.inject({ path: '/locations', times: 2, fault: { type: 'status', status: 429, retryAfter: '1' } });
  harness = await createWorkerHarness({
    sim,
    db: database.db,
    databaseUrl: database.url,
    redisUrl: inject('redisUrl'),
    env: { ...ENV, ...c.env },
  });
  const worker = await harness.start();
  const { registry, metrics } = createMetrics();
  const server = await startWebhookServer({
    worker,
    env: harness.env,
    secret: SECRET,
    logger: createLogger({ level: 'silent', redactor: createRedactor() }),
    registry,
    metrics,
  });
  http = server.http;
  return { sim, harness, hook: server.hook };
}

/** Live appointments of the mirror between two dates, by id. */
async function mirrored(from: string, to: string): Promise<Map<number, string | null>> {
  const rows = await database.db.$queryRaw<Array<{ id: bigint; status: string | null }>>`
    SELECT id, status FROM appointments
    WHERE deleted_at IS NULL AND (raw->>'startDate') BETWEEN ${from} AND ${to}`;
  return new Map(rows.map((r) => [Number(r.id), r.status]));
}

function truth(s: Simulator, from: string, to: string): Map<number, string> {
  return new Map(s.data.findAppointments({ from, to }).map((a) => [a.calendarId, a.status]));
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the mirror converges under each variant TimeTap may show', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { sim, harness, hook } = await setUp(c);
    const env = { ...ENV, ...c.env };

    // A full sync: the window, exactly, and nothing marked deleted.
    const first = await runSync(createTestSyncDeps(sim, database.db, { env }), { scope: 'full' });
    expect(first.status, first.reasons.join('\n')).toBe('succeeded');
    expect(await mirrored(WINDOW.from, WINDOW.to)).toEqual(truth(sim, WINDOW.from, WINDOW.to));
    const [{ deleted } = { deleted: 0 }] = await database.db.$queryRaw<Array<{ deleted: number }>>`
      SELECT count(*)::int AS deleted FROM appointments WHERE deleted_at IS NOT NULL`;
    expect(deleted).toBe(0);

    // A backfill of the history before the window, through the queue.
    const history = c.history ?? HISTORY;
    const { jobId } = await enqueueBackfill(
      harness.queue,
      { ...history, again: false },
      { attempts: 2, backoffMs: 100 },
    );
    const job = await harness.queue.getJob(jobId);
    if (!job) throw new Error('the backfill job vanished');
    const backfill = (await harness.waitFor(job, 90_000)) as BackfillResult;
    expect(backfill.status, JSON.stringify(backfill)).toBe('succeeded');
    expect(await mirrored(history.from, history.to)).toEqual(truth(sim, history.from, history.to));

    // Webhooks: a booking, a cancellation and a deletion, each mirrored through the endpoint.
    sim.setWebhook({ url: hook, format: 'json' });
    const [cancelled, removed] = [...truth(sim, WINDOW.from, WINDOW.to).keys()];
    const booked = sim.data.bookAppointment({ startDate: addDays(TODAY, 2) });
    sim.data.cancelAppointment(cancelled as number);
    sim.data.deleteAppointment(removed as number);
    await sim.webhooksSettled();
    expect(sim.webhooks.map((w) => w.status)).toEqual([200, 200, 200]);
    await until(async () => {
      const now = await mirrored(WINDOW.from, WINDOW.to);
      return now.has(booked) && now.get(cancelled as number) === 'CANCELLED' && !now.has(removed as number);
    }, 'the webhooks to reach the mirror');
    expect(await mirrored(WINDOW.from, WINDOW.to)).toEqual(truth(sim, WINDOW.from, WINDOW.to));

    // Converged: another full sync finds nothing to write.
    const before = await rowVersions(database.db);
    const again = await runSync(createTestSyncDeps(sim, database.db, { env }), { scope: 'full' });
    expect(again.status, again.reasons.join('\n')).toBe('succeeded');
    expect(await rowVersions(database.db)).toEqual(before);
    await c.met(sim.calls, sim);
  });
});
