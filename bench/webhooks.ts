/**
 * Measurement 7: webhooks (issue 14). A burst of events, 5 for each of N distinct appointments,
 * interleaved (event i names appointment i mod N) and spread evenly over one second, POSTed over
 * real HTTP to a worker process's `/webhooks/timetap/<secret>`, with the API budget binding
 * (TIMETAP_MAX_RPS). Before the burst every appointment is changed in the simulator (the even ones
 * cancelled, the odd ones moved a day later), so the mirror holds the change only once it read it.
 *
 *   - fetches: `GET /appointments/{id}` on the simulator's call log, against one per appointment;
 *     any more are split by whether the worker owed them (extraReads);
 *   - mirrored: appointments whose row equals the simulator's (status, sub-status, date, time);
 *   - lag: from the appointment's first event POST (its send time) to its row's `updated_at`
 *     (set when the content changed: the moment the mirror held the change), p50 and p99 against
 *     the bound N / TIMETAP_MAX_RPS, when the last appointment's read can start at the earliest;
 *   - answers: every POST must be answered 200; how many were coalesced (answered with the id of a
 *     job already queued for that appointment).
 *
 * The jobs' own `lagMs` (from the event's arrival at the worker to the end of the job) is read
 * back from the completed jobs as a cross-check, in the notes.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { addDays, today } from '../src/dates.js';
import { JOB } from '../src/queue/jobs.js';
import { type Simulator, startSimulator, webhookBody } from '../src/simulator/index.js';
import { type BenchContext, type BenchSection, fmt } from './figures.js';
import { createSyncHarness } from './sync-harness.js';

export const LAG_TO_BOUND_TARGET = 1.15;

interface Post {
  calendarId: number;
  /** Epoch ms when the request was sent, and how long its answer took. */
  sentAt: number;
  answerMs: number;
  status: number;
  coalesced: boolean;
}

interface Mirrored {
  /** Epoch ms of the row's updated_at, for the rows equal to the simulator's. */
  writtenAt: Map<number, number>;
  waitedMs: number;
}

export async function measureWebhooks(ctx: BenchContext): Promise<BenchSection> {
  const sizes = ctx.sizes.webhooks;
  const day = today();
  const sim = await startSimulator({
    ...sizes.account,
    today: day,
    latencyMs: ctx.sizes.latencyMs,
    appointments: { from: addDays(day, -7), to: addDays(day, 7), perStaffPerDay: 6 },
  });
  try {
    const ids = pickAppointments(sim, sizes.appointments);
    const secret = randomBytes(16).toString('hex');
    const databaseUrl = await ctx.databases.create('webhooks');
    const harness = await createSyncHarness({
      sim,
      databaseUrl,
      redisUrl: ctx.redisUrl,
      budget: sizes.budget,
      env: { WEBHOOK_SECRET: secret, WEBHOOK_RATE_LIMIT: '100000', HTTP_HOST: '127.0.0.1' },
    });
    const redis = new Redis(ctx.redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue('sync', { connection: redis, prefix: harness.prefix });
    try {
      const [worker] = await harness.startWorkers(1);
      if (!worker?.url) throw new Error('the worker did not say where it listens');
      const hook = `${worker.url}/webhooks/timetap/${secret}`;
      // The first fetch() loads undici and opens a socket: not part of the burst.
      await fetch(`${worker.url}/healthz`).then((r) => r.arrayBuffer());
      changeAll(sim, ids);
      sim.resetCalls();
      ctx.log(
        `7: ${fmt.int(sizes.events)} webhook events for ${ids.length} appointments in ${sizes.spreadMs} ms, TIMETAP_MAX_RPS=${sizes.budget.maxRps}`,
      );
      const posts = await postBurst(sim, hook, ids, sizes.events, sizes.spreadMs);
      const boundMs = (ids.length / sizes.budget.maxRps) * 1000;
      const mirrored = await waitForMirror(sim, queue, databaseUrl, ids, Math.max(2 * boundMs, 30_000));
      const jobs = await eventJobs(queue);
      await harness.stopWorkers();
      return report(ctx, sim, ids, posts, mirrored, jobs, boundMs);
    } finally {
      await queue.close();
      redis.disconnect();
      await harness.close();
    }
  } finally {
    await sim.close();
  }
}

/** `count` appointments not cancelled, spread over the account's (ids in order). */
function pickAppointments(sim: Simulator, count: number): number[] {
  const open = [...sim.data.appointments.values()]
    .filter((a) => a.status !== 'CANCELLED')
    .map((a) => a.calendarId)
    .sort((a, b) => a - b);
  if (open.length < count) throw new Error(`the account has ${open.length} appointments, not ${count}`);
  const step = open.length / count;
  return Array.from({ length: count }, (_, i) => open[Math.floor(i * step)] as number);
}

function changeAll(sim: Simulator, ids: readonly number[]): void {
  ids.forEach((id, i) => {
    const appointment = sim.data.appointments.get(id);
    if (i % 2 === 0 || !appointment?.startDate) sim.data.cancelAppointment(id);
    else sim.data.rescheduleAppointment(id, addDays(appointment.startDate, 1));
  });
}

/** Event i names ids[i mod N] and is sent at i x spreadMs / events, without waiting for answers. */
async function postBurst(
  sim: Simulator,
  hook: string,
  ids: readonly number[],
  events: number,
  spreadMs: number,
): Promise<Post[]> {
  const bodies = new Map(ids.map((id) => [id, webhookBody(sim.data.appointments.get(id) ?? {}, 'json')]));
  const start = performance.now();
  const pending: Array<Promise<Post>> = [];
  for (let i = 0; i < events; i++) {
    const due = start + (i * spreadMs) / events;
    const now = performance.now();
    if (due > now) await sleep(due - now);
    const calendarId = ids[i % ids.length] as number;
    const sentAt = Date.now();
    const sent = performance.now();
    pending.push(
      fetch(hook, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: bodies.get(calendarId) ?? '',
      }).then(
        async (res) => {
          const answer = (await res.json().catch(() => ({}))) as { coalesced?: unknown };
          const answerMs = performance.now() - sent;
          return { calendarId, sentAt, answerMs, status: res.status, coalesced: answer.coalesced === true };
        },
        () => ({ calendarId, sentAt, answerMs: performance.now() - sent, status: 0, coalesced: false }),
      ),
    );
  }
  return Promise.all(pending);
}

/** Polls until every row equals the simulator's and the queue is empty, or `timeoutMs`. */
async function waitForMirror(
  sim: Simulator,
  queue: Queue,
  databaseUrl: string,
  ids: readonly number[],
  timeoutMs: number,
): Promise<Mirrored> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const started = performance.now();
  try {
    for (;;) {
      const { rows } = await client.query<{
        id: string;
        status: string | null;
        sub_status: string | null;
        start_date: string | null;
        start_time: number | null;
        written: string;
      }>(
        `SELECT id, status, sub_status, start_date, start_time, extract(epoch FROM updated_at) * 1000 AS written
           FROM appointments WHERE id = ANY($1::bigint[]) AND deleted_at IS NULL`,
        [ids],
      );
      const writtenAt = new Map<number, number>();
      for (const row of rows) {
        const truth = sim.data.appointments.get(Number(row.id));
        if (
          truth &&
          row.status === (truth.status ?? null) &&
          row.sub_status === (truth.subStatus ?? null) &&
          row.start_date === (truth.startDate ?? null) &&
          row.start_time === (truth.startTime ?? null)
        ) {
          writtenAt.set(Number(row.id), Number(row.written));
        }
      }
      const waitedMs = performance.now() - started;
      if (writtenAt.size === ids.length && (await eventsPending(queue)) === 0) return { writtenAt, waitedMs };
      if (waitedMs > timeoutMs) return { writtenAt, waitedMs };
      await sleep(250);
    }
  } finally {
    await client.end();
  }
}

/** Appointment-event jobs not finished (the job scheduler's delayed full sync is not one). */
async function eventsPending(queue: Queue): Promise<number> {
  const jobs = await queue.getJobs(['waiting', 'active', 'delayed', 'prioritized'], 0, -1);
  return jobs.filter((job) => job.name === JOB.appointmentEvent).length;
}

interface EventJobs {
  /** The completed jobs that fetched their appointment: when their event reached the worker, their lag. */
  reads: Array<{ calendarId: number; receivedAt: number; lagMs: number }>;
  /** Completed without a fetch: the row had been read after their event arrived. */
  current: number;
  failed: number;
}

async function eventJobs(queue: Queue): Promise<EventJobs> {
  const jobs = await queue.getJobs(['completed'], 0, -1);
  const reads: EventJobs['reads'] = [];
  let current = 0;
  for (const job of jobs) {
    if (job.name !== JOB.appointmentEvent) continue;
    const data = job.data as { calendarId: number; receivedAt: number };
    const result = job.returnvalue as { outcome?: string; lagMs?: number } | null;
    if (result?.outcome === 'current') current += 1;
    else
      reads.push({
        calendarId: data.calendarId,
        receivedAt: data.receivedAt,
        lagMs: result?.lagMs ?? Number.NaN,
      });
  }
  return { reads, current, failed: (await queue.getJobs(['failed'], 0, -1)).length };
}

/**
 * The reads after an appointment's first, split by whether the worker owed them: a job reads again
 * when its event arrived after the row's read_at, which is the previous read's start as the worker
 * estimates it (never later than the truth). `owed`: the event reached the worker after the
 * previous read reached the simulator (same machine clock); `early`: before it, so the estimate
 * fell short of the truth.
 */
function extraReads(
  readsAt: ReadonlyMap<number, readonly number[]>,
  jobs: EventJobs['reads'],
): { owed: number; early: number } {
  const received = new Map<number, number[]>();
  for (const job of jobs)
    received.set(job.calendarId, [...(received.get(job.calendarId) ?? []), job.receivedAt]);
  let owed = 0;
  let early = 0;
  for (const [id, reads] of readsAt) {
    const events = (received.get(id) ?? []).sort((a, b) => a - b);
    for (let i = 1; i < reads.length; i++) {
      const event = events[i];
      if (event !== undefined && event > (reads[i - 1] as number)) owed += 1;
      else early += 1;
    }
  }
  return { owed, early };
}

/** Nearest rank: the smallest value with at least p of the values at or below it. */
function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number;
}

function report(
  ctx: BenchContext,
  sim: Simulator,
  ids: readonly number[],
  posts: readonly Post[],
  mirrored: Mirrored,
  jobs: EventJobs,
  boundMs: number,
): BenchSection {
  const sizes = ctx.sizes.webhooks;
  const n = ids.length;
  const fetches = sim.calls.filter((c) => c.method === 'GET' && /^\/appointments\/\d+$/.test(c.path));
  const readsAt = new Map<number, number[]>();
  for (const call of fetches) {
    const id = Number(call.path.slice('/appointments/'.length));
    readsAt.set(id, [...(readsAt.get(id) ?? []), call.startedAt]);
  }
  const extra = extraReads(readsAt, jobs.reads);
  const firstPost = new Map<number, number>();
  for (const post of posts) if (!firstPost.has(post.calendarId)) firstPost.set(post.calendarId, post.sentAt);
  const lags = ids.flatMap((id) => {
    const written = mirrored.writtenAt.get(id);
    const sent = firstPost.get(id);
    return written === undefined || sent === undefined ? [] : [written - sent];
  });
  const p50 = percentile(lags, 0.5);
  const p99 = percentile(lags, 0.99);
  const max = lags.length > 0 ? Math.max(...lags) : Number.NaN;
  const ok = posts.filter((p) => p.status === 200);
  const coalesced = ok.filter((p) => p.coalesced).length;
  const answerMs = posts.map((p) => p.answerMs);
  const jobLags = jobs.reads.map((r) => r.lagMs);
  const burstStart = Math.min(...posts.map((p) => p.sentAt));
  const lastAnswer = Math.max(...posts.map((p) => p.sentAt + p.answerMs)) - burstStart;
  const firstFetch = Math.min(...fetches.map((c) => c.startedAt)) - burstStart;
  const statuses = [...new Set(posts.map((p) => p.status))].sort().join(', ');
  const all = mirrored.writtenAt.size === n;
  const measurement = '7 webhooks';
  return {
    figures: [
      {
        measurement,
        what:
          `${fmt.int(posts.length)} events for ${n} appointments in ${fmt.ms(sizes.spreadMs)}: GET /appointments/{id} ` +
          `fetches (beyond one per appointment: ${extra.owed} for an event the worker received after the previous ` +
          `read had reached TimeTap, ${extra.early} for one received before it)`,
        value: fmt.int(fetches.length),
        target: `== ${n}`,
        pass: fetches.length === n,
      },
      {
        measurement,
        what: `appointments whose row equals the simulator's (waited ${fmt.ms(mirrored.waitedMs)})`,
        value: `${fmt.int(mirrored.writtenAt.size)} / ${fmt.int(n)}`,
        target: 'all',
        pass: all,
      },
      {
        measurement,
        what:
          `lag p99, first event POST to row updated_at / bound ${n} / ${sizes.budget.maxRps} rps ` +
          `(${fmt.ms(p99)} vs ${fmt.ms(boundMs)}; the last: ${fmt.ms(max)})`,
        value: fmt.ratio(p99 / boundMs),
        target: `<= ${LAG_TO_BOUND_TARGET}`,
        pass: all && p99 / boundMs <= LAG_TO_BOUND_TARGET,
      },
      {
        measurement,
        what: `lag p50 / bound (${fmt.ms(p50)} vs ${fmt.ms(boundMs)})`,
        value: fmt.ratio(p50 / boundMs),
        target: '',
        pass: undefined,
      },
      {
        measurement,
        what: `webhook answers: 200 / of them coalesced (answered with the id of a job already queued) (statuses seen: ${statuses})`,
        value: `${fmt.int(ok.length)} / ${fmt.int(coalesced)}`,
        target: `${fmt.int(posts.length)} / -`,
        pass: ok.length === posts.length,
      },
    ],
    notes: [
      `7: one worker process (WORKER_CONCURRENCY 4), TIMETAP_MAX_RPS=${sizes.budget.maxRps}, ` +
        `TIMETAP_MAX_CONCURRENCY=${sizes.budget.maxConcurrency}, WEBHOOK_RATE_LIMIT=100000, simulator latency ` +
        `${ctx.sizes.latencyMs} ms, a fresh migrated database (the appointments not mirrored before); ${n} appointments ` +
        `changed first (half cancelled, half moved a day), then ${fmt.int(posts.length)} POSTs of the JSON body TimeTap ` +
        `sends (5 per appointment, event i for appointment i mod ${n}, one every ${fmt.ms(sizes.spreadMs / posts.length)}), ` +
        `none awaited before the next; POST answers p50 ${fmt.ms(percentile(answerMs, 0.5))}, ` +
        `p99 ${fmt.ms(percentile(answerMs, 0.99))}, the last answered ${fmt.ms(lastAnswer)} after the first was sent; ` +
        `the first GET /appointments/{id} reached the simulator ${fmt.ms(firstFetch)} after it.`,
      `7 (lag): from the send time of each appointment's first POST to its row's updated_at (Postgres now() of the ` +
        `write that made the row equal the simulator's; same machine clock); bound: ${n} reads at ` +
        `${sizes.budget.maxRps}/s, ${fmt.ms(boundMs)}. The jobs' own lagMs (event received by the worker to job ` +
        `done), over the ${jobLags.length} jobs that read: p50 ${fmt.ms(percentile(jobLags, 0.5))}, p99 ` +
        `${fmt.ms(percentile(jobLags, 0.99))}; ${jobs.current} job(s) found their row already read after their ` +
        `event (nothing fetched); ${jobs.failed} failed; ${sim.stats().logins} login(s).`,
    ],
  };
}
