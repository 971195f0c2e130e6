/**
 * Issue 22's fault scenarios with several accounts (TIMETAP_ACCOUNTS_FILE): three accounts, each
 * its own simulator of the same seed, so that every TimeTap id collides across them, and whose data
 * then drift apart (renamed locations, removed staff, a deleted appointment) so that a row written
 * or tombstoned under the wrong account shows. Real worker processes, as in process.test.ts and
 * auth.test.ts; Postgres and Redis are never touched.
 * - A worker killed mid-way through every account's run: each job is taken over, each dead run is
 *   abandoned and followed by one success, and every account's mirror equals its own simulator
 *   with exactly the tombstones its own deletions call for. Again with the kill among two
 *   accounts' location steps (their runs are finished once by the next worker) while the third
 *   is in its account-wide walk, on three worker slots so that the admission caps bite.
 * - One account's keys revoked: the other accounts' runs succeed, its run fails at once naming it,
 *   and none of its rows is marked deleted; revoked in the middle of its run, the run ends
 *   `partial` (its steps fail one by one, each naming it) and still marks nothing deleted.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { enqueueResync } from '../../src/queue/enqueue.js';
import { type FullSyncData, JOB, type StepData } from '../../src/queue/jobs.js';
import { type Simulator, startSimulator } from '../../src/simulator/index.js';
import { expectedMirror, readMirror } from '../helpers/mirror.js';
import { recentAppointments } from '../helpers/sync.js';
import { eventually, type FaultEnv, RETRY } from './helpers/fault-env.js';
import { useFaultEnv } from './helpers/scenario.js';
import { secretLeaks } from './helpers/secrets.js';

const SEED = 11;
const SIM = { seed: SEED, locations: 5, latencyMs: 2, appointments: recentAppointments(7) };
/** Every sync reads the simulators' whole appointment range: its rows are all compared. */
const WINDOW_ENV = { APPOINTMENTS_PAST_DAYS: '8', APPOINTMENTS_FUTURE_DAYS: '8' };

const faultEnv = useFaultEnv();
const extraSims: Simulator[] = [];
const dir = mkdtempSync(join(tmpdir(), 'fault-accounts-'));
afterEach(async () => {
  for (const sim of extraSims.splice(0)) await sim.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Account {
  name: string;
  sim: Simulator;
}

interface World {
  env: FaultEnv;
  accounts: Account[];
  /** The accounts file and its variables: what every worker of the scenario starts with. */
  workerEnv: Record<string, string>;
}

/**
 * Three accounts: `north` on the scenario's own simulator, `south` and `east` on simulators of
 * the same seed (the same ids) with key pairs of their own. South's keys come from variables that
 * the file names, the others' are in the file.
 */
async function threeAccounts(env: Record<string, string> = {}): Promise<World> {
  const fault = await faultEnv({ sim: SIM, env: { ...WINDOW_ENV, ...env } });
  const other = async (name: string) => {
    const sim = await startSimulator({
      ...SIM,
      apiKey: `sim-api-key-${name}-${randomBytes(8).toString('hex')}`,
      privateKey: `sim-private-${name}-${randomBytes(20).toString('hex')}`,
    });
    extraSims.push(sim);
    return { name, sim };
  };
  const accounts: Account[] = [{ name: 'north', sim: fault.sim }, await other('south'), await other('east')];
  const entries = accounts.map(({ name, sim }) =>
    name === 'south'
      ? { name, apiKeyEnv: 'SOUTH_API_KEY', privateKeyEnv: 'SOUTH_PRIVATE_KEY', baseUrl: sim.url }
      : { name, apiKey: sim.credentials.apiKey, privateKey: sim.credentials.privateKey, baseUrl: sim.url },
  );
  const file = join(dir, `accounts-${randomBytes(4).toString('hex')}.json`);
  writeFileSync(file, JSON.stringify({ accounts: entries }), { mode: 0o600 });
  const south = accounts[1]?.sim as Simulator;
  return {
    env: fault,
    accounts,
    workerEnv: {
      // Beside the file these must be unset (docs/accounts.md): empty is unset.
      TIMETAP_API_KEY: '',
      TIMETAP_PRIVATE_KEY: '',
      TIMETAP_ACCOUNTS_FILE: file,
      SOUTH_API_KEY: south.credentials.apiKey,
      SOUTH_PRIVATE_KEY: south.credentials.privateKey,
    },
  };
}

function accountOf(world: World, name: string): Account {
  const account = world.accounts.find((a) => a.name === name);
  if (!account) throw new Error(`no account ${name}`);
  return account;
}

/** A full sync of each account, queued the way `timetap-sync resync --account NAME` does. */
async function resyncAll(
  world: World,
  names = world.accounts.map((a) => a.name),
): Promise<Map<string, string>> {
  const jobs = new Map<string, string>();
  for (const name of names) {
    jobs.set(name, (await enqueueResync(world.env.queue, { account: name }, RETRY)).jobId);
  }
  return jobs;
}

async function expectSucceeded(world: World, jobs: Map<string, string>, timeoutMs = 40_000) {
  for (const [name, jobId] of jobs) {
    const result = (await world.env.waitForJob(jobId, timeoutMs)) as { status?: string };
    expect(result.status, `${name}: ${JSON.stringify(result).slice(0, 500)}`).toBe('succeeded');
  }
}

interface Keys {
  locations: number[];
  staff: number[];
  services: number[];
  locationStaff: string[];
  locationServices: string[];
  staffServices: string[];
  appointments: number[];
}

const sorted = <T extends number | string>(values: Iterable<T>) =>
  [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** Every key the simulator holds, in the mirror's shape. */
function simulatorKeys(sim: Simulator): Keys {
  const snapshot = sim.data.snapshot();
  return {
    locations: sorted(sim.data.locations.keys()),
    staff: sorted(sim.data.staff.keys()),
    services: sorted(sim.data.services.keys()),
    locationStaff: sorted(snapshot.locationStaff.map((t) => t.join(','))),
    locationServices: sorted(snapshot.locationServices.map((t) => t.join(','))),
    staffServices: sorted(snapshot.staffServices.map((t) => t.join(','))),
    appointments: sorted(sim.data.appointments.keys()),
  };
}

/** The account's keys in the mirror, tombstoned (`deleted`) or not. */
async function mirrorKeys(world: World, account: string, deleted: boolean): Promise<Keys> {
  const { db } = world.env.database;
  const where = `account = $1 AND deleted_at IS ${deleted ? 'NOT ' : ''}NULL`;
  const keys = async (table: string, columns: string) =>
    sorted(
      (
        await db.$queryRawUnsafe<Array<{ k: string }>>(
          `SELECT concat_ws(',', ${columns}) AS k FROM ${table} WHERE ${where}`,
          account,
        )
      ).map((r) => r.k),
    );
  const ids = async (table: string) => sorted((await keys(table, 'id')).map(Number));
  return {
    locations: await ids('locations'),
    staff: await ids('staff'),
    services: await ids('services'),
    locationStaff: await keys('location_staff', 'location_id, staff_id'),
    locationServices: await keys('location_services', 'location_id, service_id'),
    staffServices: await keys('staff_services', 'location_id, staff_id, service_id'),
    appointments: await ids('appointments'),
  };
}

/** What is in `before` and no longer in `after`: what a sync must tombstone, and only that. */
function gone(before: Keys, after: Keys): Keys {
  const minus = <T>(a: T[], b: T[]) => a.filter((x) => !b.includes(x));
  return {
    locations: minus(before.locations, after.locations),
    staff: minus(before.staff, after.staff),
    services: minus(before.services, after.services),
    locationStaff: minus(before.locationStaff, after.locationStaff),
    locationServices: minus(before.locationServices, after.locationServices),
    staffServices: minus(before.staffServices, after.staffServices),
    appointments: minus(before.appointments, after.appointments),
  };
}

/**
 * The account's part of the mirror equals its simulator: the same active rows (their `raw` too,
 * so that another account's row written under this one shows), and as tombstones exactly what
 * was removed from its simulator since `baseline`: no false tombstone, no row of another account.
 */
async function expectAccountConverged(world: World, account: Account, baseline: Keys): Promise<void> {
  const { db } = world.env.database;
  expect(await readMirror(db, account.name), account.name).toEqual(
    expectedMirror(account.sim.data.snapshot()),
  );
  const now = simulatorKeys(account.sim);
  expect(await mirrorKeys(world, account.name, false), `${account.name}: active`).toEqual(now);
  expect(await mirrorKeys(world, account.name, true), `${account.name}: tombstoned`).toEqual(
    gone(baseline, now),
  );
}

/** Nothing any account's keys or tokens would give away, anywhere the scenario left text. */
async function expectNoLeaks(world: World): Promise<void> {
  for (const { sim } of world.accounts) expect(await secretLeaks({ ...world.env, sim })).toEqual([]);
}

type RunRow = { id: number; status: string; error: string | null };
const runsOf = (world: World, account: string) =>
  world.env.database.db.$queryRaw<RunRow[]>`
    SELECT id, status, error FROM sync_runs WHERE account = ${account} AND scope = 'full' ORDER BY id`;

/**
 * The accounts drift apart after a first sync of all three: south renames its locations and loses
 * a staff member, east loses a service and an appointment. North is left as it was.
 */
function driftApart(world: World): void {
  const south = accountOf(world, 'south').sim.data;
  for (const [id, raw] of south.locations)
    south.update('location', id, { locationName: `South ${raw.locationName}` });
  south.remove('staff', sorted(south.staff.keys())[0] as number);
  const east = accountOf(world, 'east').sim.data;
  east.remove('service', sorted(east.services.keys())[0] as number);
  east.deleteAppointment(sorted(east.appointments.keys())[0] as number);
}

it("a worker killed mid-way through three accounts' runs: each converges, no row doubled, no false tombstone", async () => {
  const world = await threeAccounts({ WORKER_CONCURRENCY: '6' });
  const { env } = world;
  const first = await env.startWorker(world.workerEnv);
  await expectSucceeded(world, await resyncAll(world));
  const baselines = new Map(world.accounts.map((a) => [a.name, simulatorKeys(a.sim)]));
  driftApart(world);

  // Every request takes seconds now: the kill lands while each account walks its account-wide lists.
  for (const { sim } of world.accounts) sim.setLatency(1_500);
  const jobs = await resyncAll(world);
  const deadRuns = await eventually("every account's run to be under way", async () => {
    const runs = await Promise.all(
      [...jobs.values()].map(async (jobId) => {
        const data = (await env.queue.getJob(jobId))?.data as FullSyncData | undefined;
        return data?.step === 'start' ? data.runId : undefined;
      }),
    );
    return runs.every((r) => r !== undefined) ? runs : undefined;
  });
  first.kill('SIGKILL');
  await first.exited;
  for (const { sim } of world.accounts) sim.setLatency(2);

  await env.startWorker(world.workerEnv);
  await expectSucceeded(world, jobs);
  for (const account of world.accounts) {
    const runs = await runsOf(world, account.name);
    expect(
      runs.map((r) => r.status),
      account.name,
    ).toEqual(['succeeded', 'abandoned', 'succeeded']);
    expect(deadRuns).toContain(runs[1]?.id);
    await expectAccountConverged(world, account, baselines.get(account.name) as Keys);
  }
  const [running] = await env.database.db.$queryRaw<Array<{ n: number }>>`
    SELECT count(*)::int AS n FROM sync_runs WHERE status = 'running'`;
  expect(running?.n).toBe(0);
  await expectNoLeaks(world);
});

it('a worker killed while two accounts walk their locations and the third its lists: each run finishes once', async () => {
  // Three slots: the admission caps of three accounts with work bite (account-fairness.ts), and
  // the dead worker's leases must expire for the next worker to get its slots back. A long request
  // timeout: east's hung call lasts until the kill.
  const world = await threeAccounts({ WORKER_CONCURRENCY: '3', TIMETAP_TIMEOUT_MS: '30000' });
  const { env } = world;
  const first = await env.startWorker(world.workerEnv);
  await expectSucceeded(world, await resyncAll(world));
  const baselines = new Map(world.accounts.map((a) => [a.name, simulatorKeys(a.sim)]));
  driftApart(world);

  // East's run begins and hangs in its account-wide walk (its next read of the list answers).
  accountOf(world, 'east').sim.inject({ path: '/locations', times: 1, fault: { type: 'hang' } });
  const jobs = await resyncAll(world, ['east']);
  const dataOf = async (name: string) =>
    (await env.queue.getJob(jobs.get(name) as string))?.data as FullSyncData | undefined;
  await eventually("east's run to begin", async () => (await dataOf('east'))?.runId !== undefined);
  // North's and south's runs fan out; slowed down, their location steps take seconds each.
  for (const [name, jobId] of await resyncAll(world, ['north', 'south'])) jobs.set(name, jobId);
  await eventually('north and south to fan out', async () => {
    const steps = [(await dataOf('north'))?.step, (await dataOf('south'))?.step];
    return steps.every((s) => s === 'fan-out' || s === 'finish');
  });
  for (const name of ['north', 'south']) accountOf(world, name).sim.setLatency(800);
  await eventually('location steps of north and south in flight', async () => {
    const active = await env.queue.getJobs(['active']);
    const walking = new Set(
      active.filter((j) => j.name === JOB.locationWalk).map((j) => (j.data as StepData).account),
    );
    return walking.has('north') && walking.has('south');
  });
  expect((await dataOf('east'))?.step).toBe('start');
  const stateOf = async (name: string) => (await env.queue.getJob(jobs.get(name) as string))?.getState();
  expect([await stateOf('north'), await stateOf('south')]).toEqual(['waiting-children', 'waiting-children']);
  const killedAt = Date.now();
  first.kill('SIGKILL');
  await first.exited;
  for (const { sim } of world.accounts) sim.setLatency(2);

  await env.startWorker(world.workerEnv);
  await expectSucceeded(world, jobs);
  // In seconds: the dead worker's locks and admission leases (3 s here) expire by themselves.
  expect(Date.now() - killedAt).toBeLessThan(20_000);
  for (const account of world.accounts) {
    const statuses = (await runsOf(world, account.name)).map((r) => r.status);
    // The fanned-out runs are finished by the next worker (their steps are retried); east's run
    // died with its parent job, which starts a new one.
    if (account.name === 'east') expect(statuses).toEqual(['succeeded', 'abandoned', 'succeeded']);
    else expect(statuses, account.name).toEqual(['succeeded', 'succeeded']);
    await expectAccountConverged(world, account, baselines.get(account.name) as Keys);
  }
  await expectNoLeaks(world);
});

it("one account's keys revoked: the others go on; its run fails naming it, none of its rows deleted", async () => {
  const world = await threeAccounts();
  const { env } = world;
  await env.startWorker(world.workerEnv);
  await expectSucceeded(world, await resyncAll(world));
  const baselines = new Map(world.accounts.map((a) => [a.name, simulatorKeys(a.sim)]));
  const south = accountOf(world, 'south');
  const southMirror = await readMirror(env.database.db, 'south');
  driftApart(world);

  // South's keys are revoked in TimeTap: its session dies, and no login succeeds any more.
  south.sim.inject({ path: '/sessionToken', fault: { type: 'status', status: 401 } });
  south.sim.revokeTokens();
  const jobs = await resyncAll(world);
  const southJob = jobs.get('south') as string;
  jobs.delete('south');
  await expectSucceeded(world, jobs);
  await expect(env.waitForJob(southJob, 30_000)).rejects.toThrow(/account "south"/);
  expect(south.sim.calls.some((c) => c.status === 401)).toBe(true);

  const job = await env.queue.getJob(southJob);
  expect(job?.attemptsMade, 'not retried: revoked keys do not come back').toBe(1);
  expect(job?.failedReason).toMatch(/rejected the API key\/private key of account "south"/);
  expect(job?.failedReason).not.toMatch(/north|east|TIMETAP_API_KEY/);
  const runs = await runsOf(world, 'south');
  expect(runs.map((r) => r.status)).toEqual(['succeeded', 'failed']);
  expect(runs[1]?.error ?? '').toMatch(/account "south"/);
  // Its rows stay as the last sync left them: nothing tombstoned, nothing rewritten.
  expect(await readMirror(env.database.db, 'south')).toEqual(southMirror);
  const tombstoned = await mirrorKeys(world, 'south', true);
  expect(Object.values(tombstoned).flat()).toEqual([]);

  for (const name of ['north', 'east']) {
    const account = accountOf(world, name);
    expect(
      (await runsOf(world, name)).map((r) => r.status),
      name,
    ).toEqual(['succeeded', 'succeeded']);
    await expectAccountConverged(world, account, baselines.get(name) as Keys);
  }
  await expectNoLeaks(world);
});

it("one account's keys revoked in the middle of its run: its steps fail naming it, nothing of it is deleted", async () => {
  const world = await threeAccounts();
  const { env } = world;
  await env.startWorker(world.workerEnv);
  await expectSucceeded(world, await resyncAll(world));
  const baselines = new Map(world.accounts.map((a) => [a.name, simulatorKeys(a.sim)]));
  const south = accountOf(world, 'south');
  driftApart(world);

  // South's session (in Redis since the first sync) dies at its third per-location list call,
  // after the account-wide lists were read, and no login succeeds any more.
  south.sim.inject({ path: /^\/(staff|services)/, afterCalls: 2, times: 1, fault: { type: 'revoke' } });
  south.sim.inject({ path: '/sessionToken', fault: { type: 'status', status: 401 } });
  const jobs = await resyncAll(world);
  const southJob = jobs.get('south') as string;
  jobs.delete('south');
  await expectSucceeded(world, jobs);
  // The steps under way fail for good (not retried), each naming the account; the run cannot
  // tell what is gone from what it could not read, so it tombstones nothing.
  const result = (await env.waitForJob(southJob, 30_000)) as { status: string; reasons: string[] };
  expect(result.status).toBe('partial');
  const refused = result.reasons.filter((r) => /rejected the API key/.test(r));
  expect(refused.length).toBeGreaterThan(0);
  expect(refused.every((r) => r.includes('account "south"'))).toBe(true);
  expect(result.reasons.join('\n')).toMatch(/tombstones skipped/);
  expect((await runsOf(world, 'south')).map((r) => r.status)).toEqual(['succeeded', 'partial']);
  const tombstoned = await mirrorKeys(world, 'south', true);
  expect(Object.values(tombstoned).flat()).toEqual([]);
  // The staff member south removed is still in its mirror, alive: no proof of its deletion came.
  expect(await mirrorKeys(world, 'south', false)).toMatchObject({
    staff: baselines.get('south')?.staff,
  });

  for (const name of ['north', 'east']) {
    expect(
      (await runsOf(world, name)).map((r) => r.status),
      name,
    ).toEqual(['succeeded', 'succeeded']);
    await expectAccountConverged(world, accountOf(world, name), baselines.get(name) as Keys);
  }
  await expectNoLeaks(world);
});
