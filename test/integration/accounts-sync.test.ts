/**
 * Two TimeTap accounts in one mirror, through the worker and the command line: each is its own
 * simulator, and their ids collide (the same seed gives both the same location, staff, service,
 * client and appointment ids, with different content). Each account's rows must equal its own
 * simulator, a change or a deletion in one must never reach the other's rows, and `--account`
 * limits a command to one of them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addDays, today } from '../../src/dates.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { enqueueResync } from '../../src/queue/enqueue.js';
import type { Simulator } from '../../src/simulator/index.js';
import { runCli } from '../helpers/cli.js';
import type { TestDatabase } from '../helpers/database.js';
import { duplicateKeys, expectedMirror, readMirror } from '../helpers/mirror.js';
import { useSimulator } from '../helpers/use-simulator.js';
import { useSyncFixture, WALK_TABLES } from '../helpers/use-sync-fixture.js';
import { useWorkerHarness, type WorkerHarness } from '../helpers/worker.js';

const TODAY = today();
const SHAPE = { seed: 57, today: TODAY, appointments: { perStaffPerDay: 1 } } as const;
const WINDOW = { APPOINTMENTS_PAST_DAYS: '3', APPOINTMENTS_FUTURE_DAYS: '3', APPOINTMENTS_CHUNK_DAYS: '7' };
const dir = mkdtempSync(join(tmpdir(), 'accounts-sync-'));

let north: Simulator;
let south: Simulator;
let db: PrismaClient;
let database: TestDatabase;
let harness: WorkerHarness;

// The same seed and shape: every id is the same number in both accounts. South's content is made
// to differ before each test (a location renamed, an appointment cancelled).
useSyncFixture(
  {
    simulator: { ...SHAPE, locations: 2 },
    simulatorPer: 'file',
    tables: [...WALK_TABLES, 'clients', 'appointments', 'appointment_history', 'sync_runs'],
  },
  (fixture) => {
    north = fixture.sim;
    db = fixture.db;
    database = fixture.database;
  },
);
useSimulator({ ...SHAPE, locations: 2 }, (sim) => {
  south = sim;
  const [locationId] = sim.data.snapshot().locations.map((l) => Number(l.locationId)) as [number];
  sim.data.update('location', locationId, { locationName: 'South only' });
});

function accountsFile(): string {
  const path = join(dir, 'accounts.json');
  const account = (name: string, sim: Simulator) => ({
    name,
    apiKey: sim.credentials.apiKey,
    privateKey: sim.credentials.privateKey,
    baseUrl: sim.url,
  });
  writeFileSync(path, JSON.stringify({ accounts: [account('north', north), account('south', south)] }));
  return path;
}

const accountsEnv = () => ({
  ...WINDOW,
  TIMETAP_API_KEY: '',
  TIMETAP_PRIVATE_KEY: '',
  TIMETAP_ACCOUNTS_FILE: accountsFile(),
});

useWorkerHarness(
  () => ({ sim: north, database, env: accountsEnv() }),
  (created) => (harness = created),
);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

let started: WorkerHarness | undefined;

async function syncBoth(): Promise<void> {
  if (started !== harness) {
    await harness.start();
    started = harness;
  }
  for (const account of ['north', 'south']) {
    const { jobId } = await enqueueResync(harness.queue, { account }, { attempts: 1, backoffMs: 100 });
    const job = await harness.queue.getJob(jobId);
    if (!job) throw new Error(`job ${jobId} vanished`);
    const result = (await harness.waitFor(job, 60_000)) as { status: string; reasons: string[] };
    expect(result.status, result.reasons.join('\n')).toBe('succeeded');
  }
}

async function appointmentIds(account: string): Promise<number[]> {
  const rows = await db.$queryRaw<Array<{ id: bigint }>>`
    SELECT id FROM appointments WHERE account = ${account} AND deleted_at IS NULL ORDER BY id`;
  return rows.map((r) => Number(r.id));
}

const windowIds = (sim: Simulator) =>
  sim.data
    .findAppointments({ from: addDays(TODAY, -3), to: addDays(TODAY, 3) })
    .map((a) => a.calendarId)
    .sort((a, b) => a - b);

describe('two accounts whose TimeTap ids collide', () => {
  it('mirrors each account exactly as its own TimeTap, through one worker and one queue', async () => {
    await syncBoth();
    expect(await readMirror(db, 'north')).toEqual(expectedMirror(north.data.snapshot()));
    expect(await readMirror(db, 'south')).toEqual(expectedMirror(south.data.snapshot()));
    // The ids collide: both accounts hold location 1 (and more), as separate rows.
    const shared = north.data.snapshot().locations.map((l) => Number(l.locationId));
    const [{ n } = { n: 0 }] = await db.$queryRaw<Array<{ n: number }>>`
      SELECT count(DISTINCT account)::int AS n FROM locations WHERE id = ANY(${shared}::bigint[])`;
    expect(n).toBe(2);
    expect(await appointmentIds('north')).toEqual(windowIds(north));
    expect(await appointmentIds('south')).toEqual(windowIds(south));
    expect(windowIds(south)).toEqual(windowIds(north));
    expect(Object.values(await duplicateKeys(db)).every((d) => d === 0)).toBe(true);
    // Each account's runs are its own.
    const runs = await db.$queryRaw<Array<{ account: string; n: number }>>`
      SELECT account, count(*)::int AS n FROM sync_runs WHERE status = 'succeeded' GROUP BY account ORDER BY account`;
    expect(runs).toEqual([
      { account: 'north', n: 1 },
      { account: 'south', n: 1 },
    ]);
  });

  it("never lets one account's deletion or change reach the other's rows", async () => {
    const [locationId] = north.data.snapshot().locations.map((l) => Number(l.locationId)) as [number];
    const [appointmentId] = windowIds(south) as [number];
    await syncBoth();
    north.data.update('location', locationId, { locationName: 'Renamed in north only' });
    south.data.deleteAppointment(appointmentId);
    await syncBoth();
    expect(await readMirror(db, 'north')).toEqual(expectedMirror(north.data.snapshot()));
    expect(await readMirror(db, 'south')).toEqual(expectedMirror(south.data.snapshot()));
    const names = await db.$queryRaw<Array<{ account: string; name: string }>>`
      SELECT account, name FROM locations WHERE id = ${locationId} ORDER BY account`;
    expect(names.map((r) => r.account)).toEqual(['north', 'south']);
    expect(names[0]?.name).toBe('Renamed in north only');
    expect(names[1]?.name).not.toBe('Renamed in north only');
    // The appointment is gone from south only; north still has its own appointment of that id.
    expect(await appointmentIds('south')).not.toContain(appointmentId);
    expect(await appointmentIds('north')).toEqual(windowIds(north));
    expect(windowIds(north)).toContain(appointmentId);
    // The views join within an account: north's appointments name north's locations.
    const crossed = await db.$queryRaw<Array<{ n: number }>>`
      SELECT count(*)::int AS n FROM appointments_view v
      JOIN locations l ON l.account = v.account AND l.id = v.location_id
      WHERE v.location_name IS DISTINCT FROM l.name`;
    expect(crossed[0]?.n).toBe(0);
  });

  it('limits the command line to one account with --account, and refuses an unknown one', async () => {
    const env = { ...harness.env, ...accountsEnv() };
    const all = await runCli(['sync', '--json'], env);
    expect(all.code, all.stderr).toBe(0);
    const before = await db.$queryRaw<Array<{ account: string; n: number }>>`
      SELECT account, count(*)::int AS n FROM sync_runs GROUP BY account ORDER BY account`;
    const synced = await runCli(['sync', '--account', 'south', '--json'], env);
    expect(synced.code, synced.stderr).toBe(0);
    const after = await db.$queryRaw<Array<{ account: string; n: number }>>`
      SELECT account, count(*)::int AS n FROM sync_runs GROUP BY account ORDER BY account`;
    const runs = (rows: typeof before, account: string) => rows.find((r) => r.account === account)?.n ?? 0;
    expect(runs(after, 'south')).toBe(runs(before, 'south') + 1);
    expect(runs(after, 'north')).toBe(runs(before, 'north'));

    const report = await runCli(['report', '--json'], env);
    expect(report.code, report.stderr).toBe(0);
    const both = JSON.parse(report.stdout) as {
      accounts: Array<{ account: string; totals: { locations: number } }>;
    };
    expect(both.accounts.map((r) => [r.account, r.totals.locations])).toEqual([
      ['north', 2],
      ['south', 2],
    ]);
    const one = await runCli(['report', '--json', '--account', 'north'], env);
    expect((JSON.parse(one.stdout) as { account: string }).account).toBe('north');

    const unknown = await runCli(['report', '--account', 'west'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no account named "west": this configuration has north, south');
  });
});
