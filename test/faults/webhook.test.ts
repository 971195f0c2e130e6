/**
 * Scenarios 24 to 27: TimeTap's webhook under faults, through real worker processes and the
 * simulator's own deliveries (one POST per appointment change, never retried). Redis lost in the
 * middle of a burst, a worker killed with events queued, an appointment deleted before its event's
 * read, and forged calls. What must hold throughout: an event answered 200 is applied, whatever
 * happens after; one answered otherwise was never half taken.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { expect, inject, it } from 'vitest';
import { addDays } from '../../src/dates.js';
import { JOB } from '../../src/queue/jobs.js';
import type { Simulator } from '../../src/simulator/index.js';
import { rowVersions } from '../helpers/mirror.js';
import { type SwitchableProxy, startSwitchableProxy } from '../helpers/switchable-proxy.js';
import { delay, eventually, type FaultEnv } from './helpers/fault-env.js';
import { expectConvergedWithoutLeaks, useFaultEnv } from './helpers/scenario.js';
import { dumpRedis, secretLeaks } from './helpers/secrets.js';

let redisProxy: SwitchableProxy | undefined;
const faultEnv = useFaultEnv({
  // Switched on again first, so that the workers' shutdown reaches Redis.
  beforeCleanup: () => redisProxy?.on(),
  afterCleanup: async () => {
    await redisProxy?.close();
    redisProxy = undefined;
  },
});

const SECRET = randomBytes(24).toString('hex');
/** The simulator's appointments span today ± 14 days: a window of ± 16 reads them all. */
const WEBHOOK_ENV = {
  WEBHOOK_SECRET: SECRET,
  APPOINTMENTS_PAST_DAYS: '16',
  APPOINTMENTS_FUTURE_DAYS: '16',
  APPOINTMENTS_CHUNK_DAYS: '11',
};
const APPOINTMENT_URL = /^\/appointments\/(\d+)$/;

type Result = { status: string; reasons: string[] };
type Row = { status: string | null; start_date: string | null; deleted: boolean };

const hookOf = (workerUrl: string, secret = SECRET) => `${workerUrl}/webhooks/timetap/${secret}`;

const post = (url: string, body: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

/** A worker with the webhook on, and the mirror filled by a full sync (the baseline events change). */
async function syncedWorker(env: FaultEnv, extra: Record<string, string> = {}) {
  const worker = await env.startWorker(extra);
  const url = await worker.started;
  const result = (await env.waitForJob(await env.resync())) as Result;
  expect(result.status, result.reasons.join('\n')).toBe('succeeded');
  expect(await appointmentMismatches(env)).toEqual([]);
  return { worker, url };
}

async function mirrored(env: FaultEnv): Promise<Map<number, Row>> {
  const rows = await env.database.db.$queryRaw<Array<{ id: bigint } & Row>>`
    SELECT id, status, start_date, deleted_at IS NOT NULL AS deleted FROM appointments`;
  return new Map(rows.map(({ id, ...row }) => [Number(id), row]));
}

/**
 * The appointments compared row by row with the simulator's truth, one line per difference: each
 * of TimeTap's mirrored alive with its status and date, each row TimeTap no longer has tombstoned.
 */
async function appointmentMismatches(env: FaultEnv): Promise<string[]> {
  const rows = await mirrored(env);
  const truth = env.sim.data.appointments;
  const out: string[] = [];
  for (const a of truth.values()) {
    const row = rows.get(a.calendarId);
    if (row?.status !== a.status || row.start_date !== a.startDate || row.deleted)
      out.push(`${a.calendarId}: mirrored ${JSON.stringify(row)}, TimeTap ${a.status} ${a.startDate}`);
  }
  for (const [id, row] of rows)
    if (!truth.has(id) && !row.deleted) out.push(`${id}: deleted, alive in the mirror`);
  return out;
}

/**
 * One change to each of `count` appointments, the kinds a webhook reports in turn: edited
 * (cancelled, moved), created, deleted. Returns the ids changed, in order.
 */
function changeAppointments(sim: Simulator, pool: number[], count: number): number[] {
  const changed: number[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 4;
    if (kind === 2) {
      changed.push(sim.data.bookAppointment());
      continue;
    }
    const id = pool.shift();
    if (id === undefined) throw new Error('the simulator ran out of appointments to change');
    if (kind === 0) sim.data.cancelAppointment(id);
    else if (kind === 1) sim.data.rescheduleAppointment(id, addDays(sim.data.today, (i % 20) - 10));
    else sim.data.deleteAppointment(id);
    changed.push(id);
  }
  return changed;
}

/** Appointments that can still be cancelled, in id order. */
const openAppointments = (sim: Simulator) =>
  [...sim.data.appointments.values()]
    .filter((a) => a.status !== 'CANCELLED')
    .map((a) => a.calendarId)
    .sort((a, b) => a - b);

const appointmentEvents = async (env: FaultEnv) =>
  (await env.queue.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'])).filter(
    (j) => j.name === JOB.appointmentEvent,
  );

/** No event waiting or being read (the job scheduler's next full sync waits, delayed, all along). */
async function drained(env: FaultEnv): Promise<boolean> {
  const pending = await env.queue.getJobs(['waiting', 'active', 'delayed', 'prioritized']);
  return pending.every((j) => j?.name !== JOB.appointmentEvent);
}

/** Waits until the mirror matches the simulator's appointments, then for no event to be left. */
async function everyEventApplied(env: FaultEnv, drainMs: number): Promise<void> {
  await eventually(
    'every event applied',
    async () => (await appointmentMismatches(env)).length === 0,
    30_000,
    200,
  );
  await eventually('the queue to drain', () => drained(env), drainMs);
}

/** Events that failed for good, with why (an attempt that failed and was retried is not one). */
const failedEvents = async (env: FaultEnv) =>
  (await env.queue.getJobs(['failed']))
    .filter((j) => j?.name === JOB.appointmentEvent)
    .map((j) => `${j.data.calendarId}: ${j.failedReason}`);

/** The webhook's secret is a credential too: nowhere in what the scenario left behind. */
async function expectNoWebhookSecret(env: FaultEnv): Promise<void> {
  expect(env.output()).not.toContain(SECRET);
  expect(await dumpRedis(env.redis, env.prefix)).not.toContain(SECRET);
}

it('24: Redis down during a burst of webhooks: 503 at once while it lasts, nothing answered 200 is lost, the retried ones converge', async () => {
  // The worker reaches Redis through a proxy switched off for the outage: ECONNREFUSED, exactly
  // what a stopped server gives. Not the machine's Redis itself: it keeps nothing on disk (it
  // would come back without the events it had acknowledged, which production's appendonly Redis
  // keeps) and other test runs share it.
  const redisUrl = inject('redisUrl');
  redisProxy = await startSwitchableProxy(redisUrl, 6379);
  const proxy = redisProxy;
  const e = await faultEnv({ sim: { locations: 2 }, env: WEBHOOK_ENV });
  const { sim } = e;
  const { url } = await syncedWorker(e, { REDIS_URL: proxy.urlFor(redisUrl) });
  const ready = async () => (await fetch(`${url}/readyz`)).status;
  sim.setWebhook({ url: hookOf(url), format: 'mixed' });
  const pool = openAppointments(sim);

  // Before: acknowledged, and (TimeTap being slow) still waiting or being read when Redis goes.
  sim.setLatency(500);
  const before = changeAppointments(sim, pool, 8);
  await sim.webhooksSettled();
  expect(sim.webhooks.map((w) => w.status)).toEqual(before.map(() => 200));
  expect(await drained(e)).toBe(false);

  await proxy.off();
  let outage: typeof sim.webhooks = [];
  try {
    // What a sender sees from the moment the worker knows: not a call left hanging.
    await eventually('the worker to notice', async () => (await ready()) === 503, 10_000);
    sim.resetWebhooks();
    const during = changeAppointments(sim, pool, 8);
    await sim.webhooksSettled();
    outage = [...sim.webhooks];
    expect(outage.map((w) => [w.calendarId, w.status])).toEqual(during.map((id) => [id, 503]));
    for (const w of outage) expect(w.finishedAt - w.sentAt, `event for ${w.calendarId}`).toBeLessThan(2_000);
    // Longer than the job lock: the jobs cut off lose their locks while Redis is away.
    await delay(4_000);
  } finally {
    await proxy.on();
  }
  await eventually('the worker to reach Redis again', async () => (await ready()) === 200, 30_000, 200);
  sim.setLatency(2);

  // After: acknowledged at once. Then the 503'd ones, posted again as a sender that retries would.
  sim.resetWebhooks();
  const after = changeAppointments(sim, pool, 8);
  await sim.webhooksSettled();
  expect(sim.webhooks.map((w) => w.status)).toEqual(after.map(() => 200));
  for (const w of outage)
    expect((await post(hookOf(url), w.body)).status, `retry of ${w.calendarId}`).toBe(200);

  // Every change of the three phases is in the mirror, through its event alone (no sync since).
  await everyEventApplied(e, 10_000);
  const events = await appointmentEvents(e);
  expect(await failedEvents(e)).toEqual([]);
  const applied = new Set(events.map((j) => (j.data as { calendarId: number }).calendarId));
  expect([...before, ...after, ...outage.map((w) => w.calendarId)].filter((id) => !applied.has(id))).toEqual(
    [],
  );
  expect(await appointmentMismatches(e)).toEqual([]);
  await expectConvergedWithoutLeaks(e);
  await expectNoWebhookSecret(e);
});

it('25: a worker killed (SIGKILL) with events queued and being read: the next worker applies every one, no row doubled', async () => {
  const CONCURRENCY = 3;
  const e = await faultEnv({
    sim: { locations: 2 },
    env: { ...WEBHOOK_ENV, WORKER_CONCURRENCY: String(CONCURRENCY) },
  });
  const { sim, database } = e;
  const { worker: first, url } = await syncedWorker(e);
  const count = async () =>
    Number((await database.db.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM appointments`)[0]?.n);
  const rowsBefore = await count();
  sim.setWebhook({ url: hookOf(url) });

  // TimeTap slow: the first worker takes as many events as it may, the others wait behind them.
  sim.setLatency(2_000);
  const changed = changeAppointments(sim, openAppointments(sim), 12);
  const booked = changed.filter((_, i) => i % 4 === 2);
  await sim.webhooksSettled();
  expect(sim.webhooks.map((w) => w.status)).toEqual(changed.map(() => 200));
  const reading = () =>
    sim.calls.filter((c) => APPOINTMENT_URL.test(c.path) && c.finishedAt === 0).map((c) => c.path);
  const cut = await eventually(
    'the first worker reading its full share',
    async () => {
      const open = reading();
      if (open.length < CONCURRENCY) return undefined;
      first.kill('SIGKILL');
      return open.map((path) => Number(APPOINTMENT_URL.exec(path)?.[1]));
    },
    15_000,
    10,
  );
  await first.exited;
  const killedAt = Date.now();
  expect(cut).toHaveLength(CONCURRENCY);
  // Events queued behind the ones being read. Each event job waits EVENT_SETTLE_MS first, and a
  // worker busy to its concurrency does not fetch, so BullMQ may not have moved them from
  // delayed to waiting yet: both count (waiting alone made this test depend on that timing).
  expect(await e.queue.getJobCountByTypes('waiting', 'delayed')).toBeGreaterThan(0);

  sim.setLatency(2);
  await e.startWorker();
  await everyEventApplied(e, 15_000);

  // The events the kill cut off were read again, by the second worker.
  for (const id of cut) {
    const again = sim.calls.filter((c) => c.path === `/appointments/${id}` && c.startedAt >= killedAt);
    expect(
      again.map((c) => c.status).filter((s) => s === 200 || s === 404),
      `appointment ${id}`,
    ).not.toEqual([]);
  }
  const events = await appointmentEvents(e);
  expect(await failedEvents(e)).toEqual([]);
  const applied = new Set(events.map((j) => (j.data as { calendarId: number }).calendarId));
  expect(changed.filter((id) => !applied.has(id))).toEqual([]);
  // One row per appointment: the bookings added exactly their own, nothing twice.
  expect(booked).toHaveLength(3);
  expect(await count()).toBe(rowsBefore + booked.length);
  expect(await appointmentMismatches(e)).toEqual([]);
  await expectConvergedWithoutLeaks(e);
  await expectNoWebhookSecret(e);
});

it('26: an appointment deleted before its event is read: the read sees 404, the row is tombstoned, nothing else written', async () => {
  const e = await faultEnv({ sim: { locations: 2 }, env: WEBHOOK_ENV });
  const { sim, database } = e;
  const db = database.db;
  const { url } = await syncedWorker(e);
  const [id] = openAppointments(sim) as [number];
  const rowOf = async () =>
    (
      await db.$queryRaw<
        Array<{
          version: string;
          status: string;
          raw: unknown;
          content_hash: string;
          deleted_at: Date | null;
        }>
      >`
        SELECT ctid::text || ':' || xmin::text AS version, status, raw, content_hash, deleted_at
        FROM appointments WHERE id = ${id}`
    )[0];
  const othersOf = async () => {
    const { appointments: _one, ...tables } = await rowVersions(db);
    const appointments = await db.$queryRaw<Array<{ v: string }>>`
      SELECT id::text || '@' || ctid::text || ':' || xmin::text AS v FROM appointments
      WHERE id <> ${id} ORDER BY id`;
    const runs = await db.$queryRawUnsafe<Array<{ row: string }>>(
      'SELECT row_to_json(r)::text AS row FROM sync_runs r ORDER BY id',
    );
    return { ...tables, appointments: appointments.map((r) => r.v), sync_runs: runs.map((r) => r.row) };
  };
  const row = await rowOf();
  expect(row?.deleted_at).toBeNull();
  const others = await othersOf();

  // The change is posted, then the appointment is deleted, and that deletion's webhook is lost
  // (TimeTap never retries one). All of it happens before the first POST leaves this process, so
  // before any job exists: the only event says the appointment is there, cancelled.
  sim.setWebhook({ url: hookOf(url) });
  sim.data.cancelAppointment(id);
  sim.setWebhook(undefined);
  sim.data.deleteAppointment(id);
  await sim.webhooksSettled();
  expect(sim.webhooks.map((w) => [w.calendarId, w.kind, w.status])).toEqual([[id, 'edited', 200]]);
  expect(sim.webhooks[0]?.body).toContain('CANCELLED');

  const job = await eventually('the event applied', async () => {
    const [done] = (await appointmentEvents(e)).filter((j) => j.finishedOn !== undefined);
    return done;
  });
  expect(job.failedReason).toBeUndefined();
  expect((await appointmentEvents(e)).map((j) => j.id)).toEqual([job.id]);
  expect(job.returnvalue).toMatchObject({ calendarId: id, outcome: 'tombstoned' });
  expect(sim.calls.filter((c) => c.path === `/appointments/${id}`).map((c) => c.status)).toEqual([404]);
  // Tombstoned as it was last read: the body's cancellation is not written.
  const after = await rowOf();
  expect(after?.deleted_at).toBeInstanceOf(Date);
  expect(after).toMatchObject({ status: row?.status, raw: row?.raw, content_hash: row?.content_hash });
  expect(after?.status).not.toBe('CANCELLED');
  expect(await othersOf()).toEqual(others);
  expect(await appointmentMismatches(e)).toEqual([]);
  await expectConvergedWithoutLeaks(e);
  await expectNoWebhookSecret(e);
});

/** A POST whose body is announced but never finished: answered only if the body is not awaited. */
function postUnfinished(url: string, start: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '4096' } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      },
    );
    req.on('error', reject);
    req.write(start);
    setTimeout(() => reject(new Error('no answer within 5 s: the body was awaited')), 5_000).unref();
  });
}

it('27: forged calls, without the secret or with a wrong one of its length: refused unread, nothing queued, the body in no log line', async () => {
  const e = await faultEnv({ sim: { locations: 2 }, env: WEBHOOK_ENV });
  const { sim } = e;
  const url = await (await e.startWorker()).started;
  const MARKER = `forged-marker-${randomBytes(8).toString('hex')}`;
  const [id] = openAppointments(sim) as [number];
  const body = JSON.stringify({ calendarId: id, note: MARKER });
  const sameLength = SECRET.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a'));
  expect(sameLength).toHaveLength(SECRET.length);
  expect(sameLength).not.toBe(SECRET);

  // Without a secret there is no webhook URL at all: the route is never reached (404).
  expect((await post(`${url}/webhooks/timetap`, body)).status).toBe(404);
  expect((await post(`${url}/webhooks/timetap/`, body)).status).toBe(404);
  const refused = [
    await post(hookOf(url, 'guess'), body),
    await post(hookOf(url, sameLength), body),
    await post(`${hookOf(url, sameLength)}?note=${MARKER}`, body),
  ];
  expect(refused.map((r) => r.status)).toEqual([401, 401, 401]);
  // Refused before the body is read: answered though the body never comes.
  expect(await postUnfinished(hookOf(url, sameLength), `{"calendarId": ${id}, "note": "${MARKER}`)).toBe(401);

  expect(await appointmentEvents(e)).toEqual([]);
  expect(await dumpRedis(e.redis, e.prefix)).not.toContain(MARKER);
  expect(sim.calls.filter((c) => APPOINTMENT_URL.test(c.path))).toEqual([]);
  // The log did record the four refusals (the search below has lines to search), never the body.
  const log = () => e.output();
  await eventually(
    'the refusals logged',
    async () => log().match(/wrong secret refused/g)?.length === 4,
    5_000,
  );
  expect(
    log()
      .split('\n')
      .filter((line) => line.includes(MARKER)),
  ).toEqual([]);
  expect(log()).not.toContain(sameLength);

  // The right secret from the same address still works, and its one event is what the queue holds.
  const valid = await post(hookOf(url), JSON.stringify({ calendarId: id }));
  expect(valid.status).toBe(200);
  const { jobId } = (await valid.json()) as { jobId: string };
  expect(await e.waitForJob(jobId)).toMatchObject({ calendarId: id, outcome: 'stored' });
  expect((await appointmentEvents(e)).map((j) => j.id)).toEqual([jobId]);
  expect(log()).not.toContain(MARKER);
  expect(await secretLeaks(e)).toEqual([]);
  await expectNoWebhookSecret(e);
});
