/**
 * Measurement 6: appointments. An account of locations x 10 staff with a year of appointment
 * history before the rolling window, and the window itself, in the simulator:
 *
 *   (a) the year backfilled through a worker process (the job enqueued with `enqueueBackfill`, as
 *       `timetap-sync backfill` does), wall time against the API bound of measurement 1;
 *   (b) the project's write of appointment rows (`upsertAppointments`, one call per chunk of
 *       dates, as many chunks at once as a worker runs jobs by default, as a backfill writes
 *       them) against a loop of Prisma `upsert`s on a sample, on a
 *       first load and with 10% changed, as measurement 3 does for entities;
 *   (c) the worker's peak RSS (VmHWM, as measurement 4 reads it) for the year's backfill and for
 *       a month's, each in a fresh worker process and database under the same budget;
 * every worker is the built one as `npm start` runs it (bench/worker-process.ts);
 *   (d) the API calls of one scheduled window sync (a full sync, the default window) once the
 *       mirror holds the window: how many of them were appointment report pages.
 */

import pg from 'pg';
import { DEFAULT_ACCOUNT } from '../src/account.js';
import { DEFAULT_WORKER_CONCURRENCY } from '../src/config.js';
import { addDays, dateChunks, today } from '../src/dates.js';
import {
  type AppointmentRow,
  durationMinutes,
  localStart,
  upsertAppointments,
  wallClockMs,
} from '../src/db/appointments.js';
import { canonicalRaw } from '../src/db/bulk-upsert.js';
import { cleanJson, MAX_JSON_DEPTH } from '../src/db/clean.js';
import { reduceAppointmentRaw } from '../src/db/client-data.js';
import { contentHash, hashCanonicalJson } from '../src/db/content-hash.js';
import type { Db } from '../src/db/database.js';
import type { CallRecord, Simulator } from '../src/simulator/index.js';
import { startSimulator } from '../src/simulator/index.js';
import { mapSettled } from '../src/sync/concurrency.js';
import { parseAppointment } from '../src/timetap/appointment-schemas.js';
import { TIME_TO_BOUND_TARGET } from './api-bound.js';
import { type BenchContext, type BenchSection, type Figure, fmt } from './figures.js';
import { apiBoundMs, createSyncHarness, type SyncHarness, type SyncMeasure } from './sync-harness.js';
import { ensureBuilt, startScriptLaunch, type WorkerProcess } from './worker-process.js';
import { openBenchDatabase, prismaRatioFigure, timed } from './write-path.js';

export const RSS_RATIO_TARGET = 1.3;

/** The worker's defaults (APPOINTMENTS_*), set explicitly so that the bench's dates agree. */
export const WINDOW = { pastDays: 30, futureDays: 90, chunkDays: 7 } as const;

const FULL_CLIENT_DATA = { mode: 'full', hashKey: 'bench' } as const;

export interface Range {
  from: string;
  to: string;
}

export interface Backfill {
  range: Range;
  /** The database it filled (dropped with the benchmark's others at the end). */
  databaseUrl: string;
  sync: SyncMeasure;
  idleKb: number | undefined;
  peakKb: number | undefined;
  /** CPU time the worker process used during the backfill. */
  cpuMs: number | undefined;
  timeline: Timeline;
}

interface WindowSync {
  first: SyncMeasure;
  again: SyncMeasure;
  calls: CallKinds;
  cpuMs: number | undefined;
}

/** Where a backfill's time went, from the simulator's call log and backfill_chunks. */
interface Timeline {
  /** Mean requests in flight: the calls' summed durations over the wall time. */
  inFlight: number;
  /** Per chunk, means: from its first page's request to its last page's answer ... */
  readingMs: number;
  /** ... and from there to its row in backfill_chunks (the write, the tombstone check). */
  afterMs: number;
}

export async function measureAppointments(ctx: BenchContext): Promise<BenchSection> {
  // The worker as production runs it (npm start), as for measurement 4: its peak RSS is judged.
  ensureBuilt(ctx.log);
  const sizes = ctx.sizes.appointments;
  const day = today();
  const windowStart = addDays(day, -WINDOW.pastDays);
  const year: Range = { from: addDays(windowStart, -sizes.historyDays), to: addDays(windowStart, -1) };
  const month: Range = { from: addDays(windowStart, -sizes.monthDays), to: year.to };
  const sim = await startSimulator({
    ...sizes.account,
    today: day,
    latencyMs: ctx.sizes.latencyMs,
    ...(ctx.variants ? { variants: ctx.variants } : {}),
    appointments: {
      from: year.from,
      to: addDays(day, WINDOW.futureDays),
      perStaffPerDay: sizes.perStaffPerDay,
    },
  });
  try {
    const count = (r: Range) => sim.data.findAppointments({ from: r.from, to: r.to }).length;
    const history = count(year);
    const inWindow = count({ from: windowStart, to: addDays(day, WINDOW.futureDays) });
    ctx.log(
      `6: appointments, ${sim.data.locations.size} locations, ${fmt.int(history)} in ${sizes.historyDays} days of history, ${fmt.int(inWindow)} in the window`,
    );
    const small = await backfill(ctx, sim, month, 'appt_month');
    let windowSync: WindowSync | undefined;
    const large = await backfill(ctx, sim, year, 'appt_year', async (harness, worker) => {
      windowSync = await windowSyncs(ctx, sim, harness, worker);
    });
    const writes = await measureWrites(ctx, sim, {
      from: addDays(windowStart, -sizes.writes.days),
      to: year.to,
    });
    if (!windowSync) throw new Error('the window sync did not run');
    return {
      figures: [
        backfillFigure(ctx, large, history),
        ...writes.figures,
        memoryFigure(small, large, sizes),
        windowFigure(ctx, windowSync),
      ],
      notes: [
        `6: ${sim.data.locations.size} location(s) x ${sizes.account.staffPerLocation} staff, ${sizes.perStaffPerDay} slots per staff member ` +
          `and day (each booked with probability 2/3): ${fmt.int(history)} appointments in the ${sizes.historyDays} days ` +
          `${year.from}..${year.to}, ${fmt.int(inWindow)} in the window; ${sim.data.clients.size} clients; one worker process ` +
          `(WORKER_CONCURRENCY 4; npm start: ${startScriptLaunch().name}) per backfill, TIMETAP_MAX_RPS=${sizes.budget.maxRps}, TIMETAP_MAX_CONCURRENCY=${sizes.budget.maxConcurrency}, ` +
          `APPOINTMENTS_CHUNK_DAYS=${WINDOW.chunkDays}, APPOINTMENTS_PAGE_SIZE=100 (the simulator's largest page), simulator latency ${ctx.sizes.latencyMs} ms` +
          (ctx.variants?.reportOrder === 'date-time'
            ? '; the report order stable only by date and start time (ties reshuffled on every request).'
            : '.'),
        `6 (backfills): ${describeBackfill(large)}; ${describeBackfill(small)}; most requests in flight ` +
          `${large.sync.maxInFlight} and ${small.sync.maxInFlight}; RSS when started ${fmt.mb(large.idleKb)} / ${fmt.mb(small.idleKb)}.`,
        `6 (where the ${sizes.historyDays} days' backfill went): ${rate(large.sync)} requests/s of the budget's ${sizes.budget.maxRps}, ` +
          `${large.timeline.inFlight.toFixed(1)} in flight on average; a chunk took ${fmt.ms(large.timeline.readingMs)} from its first ` +
          `page's request to its last page's answer (pages are read one after another), then ${fmt.ms(large.timeline.afterMs)} ` +
          `until it was recorded complete (its write and tombstone check); the worker process used ${cpu(large.cpuMs, large.sync.wallMs)}.`,
        ...writes.notes,
        `6 (window sync): APPOINTMENTS_PAST_DAYS=${WINDOW.pastDays}, APPOINTMENTS_FUTURE_DAYS=${WINDOW.futureDays}, in the worker ` +
          `that backfilled the ${sizes.historyDays} days; the first full sync (the window not yet mirrored) made ${fmt.int(windowSync.first.apiCalls)} ` +
          `calls in ${fmt.ms(windowSync.first.wallMs)} (run ${windowSync.first.status}); the one counted is the next: ` +
          `${describeCalls(windowSync.calls)}; the worker process used ${cpu(windowSync.cpuMs, windowSync.again.wallMs)}.`,
      ],
    };
  } finally {
    await sim.close();
  }
}

/** A backfill of `range` in a fresh database and worker process; `then` runs in the same worker. */
export async function backfill(
  ctx: BenchContext,
  sim: Simulator,
  range: Range,
  label: string,
  then?: (harness: SyncHarness, worker: WorkerProcess) => Promise<void>,
): Promise<Backfill> {
  const databaseUrl = await ctx.databases.create(label);
  const harness = await createSyncHarness({
    sim,
    databaseUrl,
    redisUrl: ctx.redisUrl,
    budget: ctx.sizes.appointments.budget,
    launch: startScriptLaunch(),
    env: {
      APPOINTMENTS_PAST_DAYS: String(WINDOW.pastDays),
      APPOINTMENTS_FUTURE_DAYS: String(WINDOW.futureDays),
      APPOINTMENTS_CHUNK_DAYS: String(WINDOW.chunkDays),
    },
  });
  try {
    const [worker] = await harness.startWorkers(1);
    if (!worker) throw new Error('no worker');
    ctx.log(`6: backfill ${range.from}..${range.to} through a worker process`);
    const cpuBefore = worker.cpuMs();
    const sync = await harness.runBackfill(range);
    const peakKb = worker.peakRssKb();
    const cpuMs = difference(worker.cpuMs(), cpuBefore);
    const timeline = await timelineOf(sim.calls, databaseUrl, sync.wallMs);
    await then?.(harness, worker);
    await harness.stopWorkers();
    return { range, databaseUrl, sync, idleKb: worker.idleRssKb, peakKb, cpuMs, timeline };
  } finally {
    await harness.close();
  }
}

/** Two full syncs: the first mirrors the window, the second is the scheduled sync counted. */
async function windowSyncs(
  ctx: BenchContext,
  sim: Simulator,
  harness: SyncHarness,
  worker: WorkerProcess,
): Promise<WindowSync> {
  ctx.log('6: window sync (first, then the one counted)');
  const first = await harness.runFullSync();
  const cpuBefore = worker.cpuMs();
  const again = await harness.runFullSync();
  return { first, again, calls: kindsOf(sim.calls), cpuMs: difference(worker.cpuMs(), cpuBefore) };
}

function difference(after: number | undefined, before: number | undefined): number | undefined {
  return after === undefined || before === undefined ? undefined : after - before;
}

async function timelineOf(
  calls: readonly CallRecord[],
  databaseUrl: string,
  wallMs: number,
): Promise<Timeline> {
  const chunks = new Map<string, { first: number; last: number }>();
  let busyMs = 0;
  for (const call of calls) {
    if (call.finishedAt > 0) busyMs += call.finishedAt - call.startedAt;
    const start = call.query.startDate;
    if (!call.path.startsWith('/appointmentList/') || start === undefined) continue;
    const chunk = chunks.get(start) ?? { first: call.startedAt, last: call.finishedAt };
    chunk.first = Math.min(chunk.first, call.startedAt);
    chunk.last = Math.max(chunk.last, call.finishedAt);
    chunks.set(start, chunk);
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ start_date: string; done: number }>(
      'SELECT start_date, extract(epoch FROM completed_at) * 1000 AS done FROM backfill_chunks',
    );
    let reading = 0;
    let after = 0;
    let n = 0;
    for (const row of rows) {
      const chunk = chunks.get(row.start_date);
      if (!chunk) continue;
      reading += chunk.last - chunk.first;
      after += Number(row.done) - chunk.last;
      n += 1;
    }
    return {
      inFlight: busyMs / wallMs,
      readingMs: reading / Math.max(n, 1),
      afterMs: after / Math.max(n, 1),
    };
  } finally {
    await client.end();
  }
}

interface CallKinds {
  total: number;
  reportPages: number;
  /** Of the report pages: the one-record second look at the count after each chunk's walk. */
  countChecks: number;
  byId: number;
  clients: number;
  logins: number;
  other: number;
}

function kindsOf(calls: readonly CallRecord[]): CallKinds {
  const kinds: CallKinds = {
    total: calls.length,
    reportPages: 0,
    countChecks: 0,
    byId: 0,
    clients: 0,
    logins: 0,
    other: 0,
  };
  for (const call of calls) {
    if (call.path.startsWith('/appointmentList/')) {
      kinds.reportPages += 1;
      if (call.query.pageSize === '1') kinds.countChecks += 1;
    } else if (call.path.startsWith('/appointments/')) kinds.byId += 1;
    else if (call.path.startsWith('/clients')) kinds.clients += 1;
    else if (call.path === '/sessionToken') kinds.logins += 1;
    else kinds.other += 1;
  }
  return kinds;
}

function describeCalls(k: CallKinds): string {
  return (
    `${fmt.int(k.total)} calls: ${fmt.int(k.reportPages)} appointment report pages (${k.countChecks} of them ` +
    `the one-record look at the count after a chunk), ${k.byId} appointments by id, ${k.clients} client pages or clients, ` +
    `${k.logins} logins, ${fmt.int(k.other)} locations, staff and services`
  );
}

export function rate(m: SyncMeasure): string {
  return fmt.int(m.apiCalls / (m.wallMs / 1000));
}

export function cpu(cpuMs: number | undefined, wallMs: number): string {
  if (cpuMs === undefined) return 'n/a of CPU';
  return `${fmt.ms(cpuMs)} of CPU in ${fmt.ms(wallMs)} (${Math.round((100 * cpuMs) / wallMs)}% of one core)`;
}

export function describeBackfill(b: Backfill): string {
  const chunks = typeof b.sync.result.chunks === 'number' ? b.sync.result.chunks : '?';
  return (
    `${b.range.from}..${b.range.to}: ${chunks} chunks, ${fmt.int(b.sync.apiCalls)} calls in ${fmt.ms(b.sync.wallMs)} ` +
    `(run ${b.sync.status}), peak RSS ${fmt.mb(b.peakKb)}`
  );
}

function backfillFigure(ctx: BenchContext, b: Backfill, appointments: number): Figure {
  const { budget } = ctx.sizes.appointments;
  const bound = apiBoundMs(b.sync.apiCalls, budget, ctx.sizes.latencyMs);
  const ratio = b.sync.wallMs / bound;
  return {
    measurement: '6 appointments',
    what:
      `backfill of ${fmt.int(appointments)} appointments through the worker: time / API bound ` +
      `(${fmt.int(b.sync.apiCalls)} calls, ${fmt.ms(b.sync.wallMs)} vs ${fmt.ms(bound)}; run ${b.sync.status})`,
    value: fmt.ratio(ratio),
    target: `<= ${TIME_TO_BOUND_TARGET}`,
    pass: ratio <= TIME_TO_BOUND_TARGET && b.sync.status === 'succeeded',
  };
}

function memoryFigure(
  small: Backfill,
  large: Backfill,
  sizes: BenchContext['sizes']['appointments'],
): Figure {
  const ratio = small.peakKb && large.peakKb ? large.peakKb / small.peakKb : Number.NaN;
  return {
    measurement: '6 appointments',
    what: `worker peak RSS, backfill of ${sizes.historyDays} vs ${sizes.monthDays} days (${fmt.mb(large.peakKb)} vs ${fmt.mb(small.peakKb)})`,
    value: Number.isNaN(ratio) ? 'n/a' : fmt.ratio(ratio),
    target: `<= ${RSS_RATIO_TARGET}`,
    pass: ratio <= RSS_RATIO_TARGET && small.sync.status === 'succeeded' && large.sync.status === 'succeeded',
  };
}

function windowFigure(ctx: BenchContext, w: WindowSync): Figure {
  const bound = apiBoundMs(w.again.apiCalls, ctx.sizes.appointments.budget, ctx.sizes.latencyMs);
  return {
    measurement: '6 appointments',
    what:
      `scheduled window sync (${WINDOW.pastDays} days back, ${WINDOW.futureDays} ahead): API calls / of them ` +
      `appointment report pages (${fmt.ms(w.again.wallMs)} vs bound ${fmt.ms(bound)}; run ${w.again.status})`,
    value: `${fmt.int(w.calls.total)} / ${fmt.int(w.calls.reportPages)}`,
    target: '',
    pass: undefined,
  };
}

// (b) The write path.

interface WriteResult {
  figures: Figure[];
  notes: string[];
}

async function measureWrites(ctx: BenchContext, sim: Simulator, range: Range): Promise<WriteResult> {
  const { prismaSample } = ctx.sizes.appointments.writes;
  const chunks = dateChunks({ startDate: range.from, endDate: range.to }, WINDOW.chunkDays).map((c) =>
    rowsOf(sim.data.findAppointments({ from: c.startDate, to: c.endDate })),
  );
  const rows = chunks.reduce((n, c) => n + c.length, 0);
  const urls = {
    project: await ctx.databases.create('appt_write_project'),
    prisma: await ctx.databases.create('appt_write_prisma'),
  };
  const project = openBenchDatabase(urls.project);
  const prisma = openBenchDatabase(urls.prisma);
  const figures: Figure[] = [];
  const notes: string[] = [];
  try {
    // A connection and Prisma's first query on each side first, so that neither rate pays for them.
    await project.prisma.$queryRaw`SELECT 1`;
    await prisma.prisma.$queryRaw`SELECT 1`;
    const passes = [
      { label: 'first load', data: chunks },
      { label: '10% changed', data: chunks.map((c) => c.map(changed)) },
    ];
    for (const { label, data } of passes) {
      ctx.log(`6: appointment write path, ${label}: ${fmt.int(rows)} rows`);
      // Each pass a later read than the one before, as a later sync's would be.
      const readAt = new Date();
      const projectMs = await timed(async () => {
        const written = await mapSettled(data, DEFAULT_WORKER_CONCURRENCY, (chunk) =>
          upsertAppointments(project.prisma, chunk, {
            account: DEFAULT_ACCOUNT,
            readAt,
            clientData: FULL_CLIENT_DATA,
          }),
        );
        for (const result of written) if (result.status === 'rejected') throw result.reason;
      });
      const sample = data.flat().slice(0, prismaSample);
      const prismaMs = await timed(() => writeWithPrismaLoop(prisma.prisma, sample, readAt));
      const projectRate = rows / (projectMs / 1000);
      const prismaRate = sample.length / (prismaMs / 1000);
      figures.push(
        {
          measurement: '6 appointments',
          what: `write path, ${label}: appointment rows/s project / Prisma upsert loop`,
          value: `${fmt.int(projectRate)} / ${fmt.int(prismaRate)}`,
          target: '',
          pass: undefined,
        },
        prismaRatioFigure('6 appointments', `write path, ${label}`, projectRate / prismaRate),
      );
      const prepareMs = await timed(async () => {
        for (const chunk of data) for (const row of chunk) prepareOnly(row);
      });
      notes.push(
        `6 (write path, ${label}): project ${fmt.int(rows)} rows in ${fmt.ms(projectMs)}, of which about ${fmt.ms(prepareMs)} ` +
          `turning them into what the statement sends (cleaning, canonical JSON, hash, typed columns: the same functions, timed alone); ` +
          `Prisma loop ${fmt.int(sample.length)} sample rows in ${fmt.ms(prismaMs)}.`,
      );
    }
    notes.unshift(
      `6 (write path): the appointments of ${range.from}..${range.to} as the TimeTap client parses them, written by ` +
        `upsertAppointments (src/db/appointments.ts, bulk-upsert.ts) one call per chunk of ${WINDOW.chunkDays} days, ${DEFAULT_WORKER_CONCURRENCY} ` +
        `chunks at a time, as a backfill's worker runs them (WORKER_CONCURRENCY's default; nested objects and tombstones left out), and by a loop of prisma.appointment.upsert on the first ` +
        `rows, each with the same typed columns, content hash and read_at; "10% changed": every tenth appointment ` +
        `cancelled, each pass a later read.`,
    );
    return { figures, notes };
  } finally {
    await project.close();
    await prisma.close();
  }
}

/** The appointments as the TimeTap client hands them to the walk, less their nested objects. */
export function rowsOf(appointments: readonly unknown[]): AppointmentRow[] {
  return appointments.map((input) => {
    // NUL characters removed up front, as in measurement 3: both methods write the same content.
    const parsed = parseAppointment(cleanJson(input, { cleaned: 0 }));
    if (!parsed.ok) throw new Error(parsed.reason);
    const { nested: _nested, ...row } = parsed.value;
    return row;
  });
}

/** What bulk-upsert.ts's prepare() does to a row before the statement, for its share of the time. */
function prepareOnly(row: AppointmentRow): void {
  const stored = (raw: Record<string, unknown>) => reduceAppointmentRaw(raw, FULL_CLIENT_DATA);
  hashCanonicalJson(canonicalRaw(row.raw, stored, { cleaned: 0 }, MAX_JSON_DEPTH).canonical);
  localStart(row);
  durationMinutes(row);
}

export function changed(row: AppointmentRow): AppointmentRow {
  if (row.id % 10 !== 0) return row;
  const { subStatus: _dropped, ...kept } = row.raw;
  const raw = { ...kept, status: 'CANCELLED' };
  const { subStatus: _subStatus, ...rest } = row;
  return { ...rest, status: 'CANCELLED', raw };
}

/** What most people would write: one `upsert` per row, awaited in turn. */
async function writeWithPrismaLoop(db: Db, rows: readonly AppointmentRow[], readAt: Date): Promise<void> {
  for (const row of rows) {
    const start = wallClockMs(row.startDate, row.startTime);
    const fields = {
      businessId: row.businessId ?? null,
      locationId: row.locationId ?? null,
      staffId: row.staffId ?? null,
      serviceId: row.serviceId ?? null,
      clientId: row.clientId ?? null,
      status: row.status ?? null,
      subStatus: row.subStatus ?? null,
      startDate: row.startDate ?? null,
      endDate: row.endDate ?? null,
      startTime: row.startTime ?? null,
      endTime: row.endTime ?? null,
      localStart: start === undefined ? null : new Date(start),
      durationMinutes: durationMinutes(row) ?? null,
      recurringAppointmentId: row.recurringAppointmentId ?? null,
      raw: row.raw as object,
      contentHash: contentHash(row.raw),
      readAt,
    };
    await db.appointment.upsert({
      where: { account_id: { account: DEFAULT_ACCOUNT, id: row.id } },
      create: { account: DEFAULT_ACCOUNT, id: row.id, ...fields },
      update: fields,
    });
  }
}
