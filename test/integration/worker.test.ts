/**
 * The worker, in process, against a real Redis, a real Postgres and the simulator: a full sync
 * through the queue (fanned out per location), shared by two workers, on-demand resyncs, the job
 * scheduler.
 */
import { describe, expect, it } from 'vitest';
import { readFreshness } from '../../src/db/index.js';
import { enqueueResync } from '../../src/queue/enqueue.js';
import { SCHEDULER_ID, type StepData } from '../../src/queue/jobs.js';
import type { Simulator } from '../../src/simulator/index.js';
import { windowChunks } from '../../src/sync/plan.js';
import type { TestDatabase } from '../helpers/database.js';
import { activeRows, duplicateKeys, expectedMirror, readMirror, rowVersions } from '../helpers/mirror.js';
import { captureLog, recentAppointments } from '../helpers/sync.js';
import { useSyncFixture, WALK_TABLES } from '../helpers/use-sync-fixture.js';
import { useWorkerHarness, type WorkerHarness } from '../helpers/worker.js';

let database: TestDatabase;
let sim: Simulator;
let harness: WorkerHarness;
const log = captureLog();
const RETRY = { attempts: 3, backoffMs: 200 };

useSyncFixture(
  {
    simulator: { seed: 5, locations: 8, latencyMs: 2, appointments: recentAppointments() },
    simulatorPer: 'test',
    tables: [...WALK_TABLES, 'clients', 'appointments'],
  },
  (fixture) => ({ sim, database } = fixture),
);
useWorkerHarness(
  () => ({ sim, database, log }),
  (created) => (harness = created),
);

async function runs() {
  return database.db.$queryRaw<Array<{ id: number; status: string; scope: string; error: string | null }>>`
    SELECT id, status, scope, error FROM sync_runs ORDER BY id`;
}

async function resyncAndWait(request: { locationId?: number } = {}) {
  const { jobId } = await enqueueResync(harness.queue, request, RETRY);
  const job = await harness.queue.getJob(jobId);
  if (!job) throw new Error('job vanished');
  return harness.waitFor(job);
}

describe('worker', () => {
  it('runs a full sync through the queue, fanned out per location, and mirrors the simulator', async () => {
    await harness.start();
    const result = (await resyncAndWait()) as { status: string; runId: number };
    expect(result.status).toBe('succeeded');
    expect(await readMirror(database.db)).toEqual(expectedMirror(sim.data.snapshot()));
    expect(Object.values(await duplicateKeys(database.db)).every((n) => n === 0)).toBe(true);
    const all = await runs();
    expect(all.map((r) => r.status)).toEqual(['succeeded']);
    const children = await harness.queue.getJobs(['completed']);
    expect(children.filter((j) => j.name === 'location-walk')).toHaveLength(sim.data.locations.size);

    const before = await rowVersions(database.db);
    const second = (await resyncAndWait()) as { status: string; stats: Record<string, object> };
    expect(second.status).toBe('succeeded');
    expect(await rowVersions(database.db)).toEqual(before);
    // Each row counted once, though the walk met many copies (under each location, in appointments).
    for (const [table, count] of Object.entries(await activeRows(database.db))) {
      expect(second.stats[table], table).toMatchObject({ inserted: 0, updated: 0, unchanged: count });
    }
  });

  it('keeps the account-wide copies when a location lists the documented shape only, and rewrites nothing', async () => {
    sim.setDocumentedLocationLists(true);
    await harness.start();
    const result = (await resyncAndWait()) as { status: string };
    expect(result.status).toBe('succeeded');
    expect(await readMirror(database.db)).toEqual(expectedMirror(sim.data.snapshot()));
    const before = await rowVersions(database.db);
    expect(((await resyncAndWait()) as { status: string }).status).toBe('succeeded');
    expect(await rowVersions(database.db)).toEqual(before);
  });

  it('walks the clients and each chunk of the appointment window as child jobs of the full sync', async () => {
    await harness.start();
    const result = (await resyncAndWait()) as { status: string; reasons: string[] };
    expect(result.status, result.reasons.join('\n')).toBe('succeeded');
    const jobs = await harness.queue.getJobs(['completed']);
    const chunks = jobs
      .filter((j) => j.name === 'appointment-chunk')
      .map((j) => (j.data as StepData).step)
      .flatMap((step) => (step.kind === 'chunk' ? [step.range] : []))
      .sort((a, b) => a.startDate.localeCompare(b.startDate));
    expect(jobs.filter((j) => j.name === 'client-walk')).toHaveLength(1);
    // The default window (30 days back, 90 ahead) in chunks of 7 days, as the plan cuts it.
    const window = windowChunks({ appointments: { pastDays: 30, futureDays: 90, chunkDays: 7 } });
    expect(chunks).toEqual(window);
    expect(window.length).toBeGreaterThanOrEqual(Math.ceil(121 / 7));
    // The run recorded the window it read, which mirror_freshness_view finds complete.
    const full = (await readFreshness(database.db)).find((row) => row.scope === 'full');
    expect(full?.appointmentRanges).toEqual([
      {
        startDate: window[0]?.startDate,
        endDate: window.at(-1)?.endDate,
        runId: full?.lastRun?.id,
        complete: true,
      },
    ]);
    const [row] = await database.db.$queryRaw<Array<{ appointments: bigint; clients: bigint }>>`
      SELECT (SELECT count(*) FROM appointments WHERE deleted_at IS NULL) AS appointments,
             (SELECT count(*) FROM clients WHERE deleted_at IS NULL) AS clients`;
    expect(Number(row?.appointments)).toBe(sim.data.appointments.size);
    expect(Number(row?.clients)).toBe(sim.data.clients.size);
  });

  it('retries a failing location by itself and ends partial when it keeps failing', async () => {
    await harness.start();
    const [failing] = [...sim.data.locations.keys()] as [number];
    sim.inject({
      path: '/staff',
      query: { locationId: String(failing) },
      fault: { type: 'status', status: 503 },
    });
    const result = (await resyncAndWait()) as { status: string; reasons: string[] };
    expect(result.status).toBe('partial');
    expect(result.reasons.join('\n')).toContain(`location ${failing}`);
    const accountCalls = sim.calls.filter((c) => c.path === '/locations').length;
    expect(accountCalls).toBe(1); // the other locations and the account lists were not redone
    const failingCalls = sim.calls.filter(
      (c) => c.path === '/staff' && c.query.locationId === String(failing),
    );
    expect(failingCalls.length).toBeGreaterThan(3); // retried per request and per job attempt

    sim.clearFaults();
    const clean = (await resyncAndWait()) as { status: string };
    expect(clean.status).toBe('succeeded');
    expect(await readMirror(database.db)).toEqual(expectedMirror(sim.data.snapshot()));
  });

  it('guards link deletions against the account, across location jobs (shared budget in Redis)', async () => {
    await harness.start();
    const [small, ...rest] = [...sim.data.locations.keys()] as [number, ...number[]];
    const [keep, ...others] = [...(sim.data.locationStaff.get(small) ?? [])] as [number, ...number[]];
    for (const id of others) sim.data.unlink('staff', small, id);
    await resyncAndWait();
    sim.data.unlink('staff', small, keep); // 100% of one location, a sliver of the account
    expect(((await resyncAndWait()) as { status: string }).status).toBe('succeeded');
    expect(await readMirror(database.db)).toEqual(expectedMirror(sim.data.snapshot()));

    for (const locationId of rest) {
      for (const id of [...(sim.data.locationStaff.get(locationId) ?? [])])
        sim.data.unlink('staff', locationId, id);
    }
    const refused = (await resyncAndWait()) as { status: string; reasons: string[] };
    expect(refused.status).toBe('partial');
    expect(refused.reasons.join('\n')).toMatch(/location_staff deletions/);
    // The links held back are counted in the run's stats, summed over its location jobs.
    const full = (await readFreshness(database.db)).find((row) => row.scope === 'full');
    expect(full?.guardHeldRows).toBeGreaterThan(0);
  });

  it('shares one full sync between two workers: no location walked twice, the run closed once', async () => {
    await harness.start();
    await harness.start();
    const result = (await resyncAndWait()) as { status: string };
    expect(result.status).toBe('succeeded');
    for (const locationId of sim.data.locations.keys()) {
      const calls = sim.calls.filter(
        (c) => c.path === '/staff' && c.query.locationId === String(locationId) && c.status === 200,
      );
      expect(calls).toHaveLength(1);
    }
    expect((await runs()).map((r) => r.status)).toEqual(['succeeded']);
    expect(sim.stats().logins).toBe(1); // one session shared through Redis
  });

  it('returns the same job id for a repeated resync while one is pending', async () => {
    const first = await enqueueResync(harness.queue, {}, RETRY);
    const second = await enqueueResync(harness.queue, {}, RETRY);
    expect(second.jobId).toBe(first.jobId);
    expect(second.existing).toBe(true);
    const location = await enqueueResync(harness.queue, { locationId: 1001 }, RETRY);
    expect(location.jobId).not.toBe(first.jobId);
  });

  it('answers a full resync with the scheduled full sync that is already pending', async () => {
    const scheduled = await harness.queue.add('full-sync', { trigger: 'schedule' });
    const resync = await enqueueResync(harness.queue, {}, RETRY);
    expect(resync).toEqual({ jobId: scheduled.id, existing: true });
  });

  it('runs an on-demand location sync with its own run', async () => {
    await harness.start();
    const [locationId] = [...sim.data.locations.keys()] as [number];
    const result = (await resyncAndWait({ locationId })) as { status: string; scope: string };
    expect(result).toMatchObject({ status: 'succeeded', scope: 'location' });
    expect((await runs()).map((r) => r.scope)).toEqual(['location']);
  });

  it('keeps exactly one job scheduler across restarts', async () => {
    for (let i = 0; i < 3; i++) {
      const worker = await harness.start({ schedule: true });
      await worker.close();
    }
    await harness.start({ schedule: true });
    expect(await harness.queue.getJobSchedulersCount()).toBe(1);
    expect((await harness.queue.getJobScheduler(SCHEDULER_ID))?.pattern).toBe('0 * * * *');
    const delayed = await harness.queue.getJobs(['delayed', 'waiting']);
    expect(delayed.filter((j) => j.name === 'full-sync')).toHaveLength(1);
  });

  it('fails a location sync for an id TimeTap does not know at once: one attempt, no run written', async () => {
    await harness.start();
    const error = await resyncAndWait({ locationId: 987_654 }).catch((e: unknown) => e);
    expect(String(error)).toContain(
      'TimeTap has no location 987654 (GET /locations/987654 answered 404); nothing was written',
    );
    const [job] = await harness.queue.getJobs(['failed']);
    expect(job?.attemptsMade).toBe(1);
    expect(await runs()).toEqual([]);
  });

  it('heartbeats the run while the parent reads the account lists, and abandons a run whose heartbeat stopped', async () => {
    await harness.start();
    // A run whose process died long ago, noticed while this worker runs (not only at its start).
    await database.db.$executeRaw`
      INSERT INTO sync_runs (scope, trigger, status, heartbeat_at)
      VALUES ('location', 'manual', 'running', now() - interval '1 hour')`;
    // The account walk: a login, then three lists read at once and the delete limits: two or three
    // round trips, about 1.5 s at this latency, so three heartbeats of 500 ms or more.
    sim.setLatency(600);
    const { jobId } = await enqueueResync(harness.queue, {}, RETRY);
    const beats = new Set<number>();
    for (let i = 0; i < 100; i++) {
      const job = await harness.queue.getJob(jobId);
      const step = (job?.data as { step?: string } | undefined)?.step;
      if (step === 'fan-out' || step === 'finish' || job?.finishedOn) break;
      const [row] = await database.db.$queryRaw<Array<{ at: Date }>>`
        SELECT heartbeat_at AS at FROM sync_runs WHERE scope = 'full' AND status = 'running'`;
      if (row) beats.add(row.at.getTime());
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // SYNC_HEARTBEAT_MS is 500 in the harness: the account walk alone saw it beat.
    expect(beats.size).toBeGreaterThanOrEqual(2);
    sim.setLatency(2);
    const job = await harness.queue.getJob(jobId);
    if (!job) throw new Error('job vanished');
    expect(((await harness.waitFor(job)) as { status: string }).status).toBe('succeeded');
    // Checked every half stale period (SYNC_STALE_RUN_MS is 4 s in the harness).
    const deadline = Date.now() + 6_000;
    while ((await runs())[0]?.status === 'running' && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await runs()).map((r) => [r.scope, r.status])).toEqual([
      ['location', 'abandoned'],
      ['full', 'succeeded'],
    ]);
  });

  it('keeps secrets out of logs and Redis job data', async () => {
    await harness.start();
    await resyncAndWait();
    const connection = harness.redis;
    const keys = await connection.keys(`${harness.prefix}:*`);
    let dump = '';
    for (const key of keys) {
      const type = await connection.type(key);
      if (type === 'hash') dump += JSON.stringify(await connection.hgetall(key));
      else if (type === 'string') dump += await connection.get(key);
      else if (type === 'list') dump += JSON.stringify(await connection.lrange(key, 0, -1));
    }
    const everything = dump + log.lines.join('');
    for (const secret of [sim.credentials.apiKey, sim.credentials.privateKey])
      expect(everything).not.toContain(secret);
    // The session token is in Redis under one key of its own (shared by workers, encrypted),
    // never in job data; the markers of used tokens carry a keyed fingerprint, not the token.
    const tokenKeys = keys.filter((k) => k.endsWith(':timetap:session'));
    const jobData = (await harness.queue.getJobs(['completed'])).map((j) => JSON.stringify(j.data)).join('');
    expect(jobData).not.toMatch(/st:api:api:/);
    expect(log.lines.join('')).not.toMatch(/st:api:api:[0-9a-f]{32}/);
    expect(tokenKeys).toHaveLength(1);
  });
});

describe('progress', () => {
  it('shows its child jobs done / total on the full sync job: the locations, the clients, the chunks', async () => {
    await harness.start();
    const { jobId } = await enqueueResync(harness.queue, {}, RETRY);
    const job = await harness.queue.getJob(jobId);
    if (!job) throw new Error('job vanished');
    await harness.waitFor(job);
    const finished = await harness.queue.getJob(jobId);
    // The default window (30 days back, 90 ahead) makes 18 chunks of 7 days.
    const children = sim.data.locations.size + 1 + Math.ceil(121 / 7);
    expect(finished?.progress).toEqual({ done: children, total: children });
  });
});
