/**
 * `timetap-sync report [--json]`, run as a user runs it (a child process with only DATABASE_URL),
 * on a database without the schema, an empty mirror, a fresh one, a stale one (judged against
 * SYNC_SCHEDULE), and one whose last run failed.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addDays, today } from '../../src/dates.js';
import type { Report } from '../../src/report/read-report.js';
import type { Simulator } from '../../src/simulator/index.js';
import { runSync } from '../../src/sync/run-sync.js';
import { runCli } from '../helpers/cli.js';
import { createEmptyDatabase, type TestDatabase } from '../helpers/database.js';
import { createTestSyncDeps } from '../helpers/sync.js';
import { useSyncFixture } from '../helpers/use-sync-fixture.js';

let database: TestDatabase;
let client: pg.Client;
let sim: Simulator;

useSyncFixture(
  {
    simulator: {
      seed: 31,
      locations: 3,
      staffPerLocation: 4,
      servicesPerStaff: 2,
      // Appointments for the whole of the last 30 days and the next 7, a few a day per staff member.
      appointments: { from: addDays(today(), -30), to: addDays(today(), 8), perStaffPerDay: 3 },
    },
    simulatorPer: 'file',
  },
  (fixture) => ({ sim, database } = fixture),
);
beforeAll(async () => {
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
});
afterAll(async () => {
  await client?.end();
});

const report = (args: string[] = [], env: Record<string, string> = {}) =>
  runCli(['report', ...args], { DATABASE_URL: database.url, ...env });

async function reportJson(env: Record<string, string> = {}): Promise<Report> {
  const result = await report(['--json'], env);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Report;
}

describe('timetap-sync report', () => {
  it('on a database without the schema: says to run migrate, exit 2', async () => {
    const empty = await createEmptyDatabase(inject('databaseUrl'));
    try {
      const result = await runCli(['report'], { DATABASE_URL: empty.url });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('run `timetap-sync migrate`');
    } finally {
      await empty.drop();
    }
  });

  it('needs DATABASE_URL and nothing else', async () => {
    const result = await runCli(['report'], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('DATABASE_URL is required');
    expect(result.stderr).not.toContain('REDIS_URL');
    expect(result.stderr).not.toContain('TIMETAP_API_KEY');
  });

  it('on an empty mirror: no sync has run yet', async () => {
    const [text, json] = await Promise.all([report(), reportJson()]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('no sync has run yet: run `timetap-sync sync`');
    expect(json).toMatchObject({ empty: true, locations: [], freshness: { stale: true, lastRun: null } });
    expect(json.warnings).toEqual(['no sync has run yet: run `timetap-sync sync`']);
  });

  describe('after a full sync', () => {
    let idleStaff: number;
    let idleLocation: number;
    beforeAll(async () => {
      // A staff member who offers nothing at one location: one shaped like TimeTap's documented
      // example (no name fields at all), so that the report has to name them from what exists.
      const sparse = (id: number) => sim.data.staff.get(id)?.firstName === undefined;
      const [locationId, offers] =
        [...sim.data.staffServices].find(([, o]) => [...o.keys()].some(sparse)) ?? [];
      const [staffId, services] = [...(offers ?? [])].find(([id]) => sparse(id)) ?? [];
      if (locationId === undefined || staffId === undefined)
        throw new Error('no sparse staff in the simulator');
      for (const serviceId of [...(services ?? [])])
        sim.data.unlinkStaffService(locationId, staffId, serviceId);
      idleStaff = staffId;
      idleLocation = locationId;
      expect((await runSync(createTestSyncDeps(sim, database.db), { scope: 'full' })).status).toBe(
        'succeeded',
      );
    });

    it('a fresh mirror: per location the staff, the services, the most offered ones, the idle staff; no warning', async () => {
      const truth = sim.data.snapshot();
      const [text, json] = await Promise.all([report(), reportJson()]);
      expect(text.code).toBe(0);
      expect(text.stdout).not.toContain('WARNING');
      expect(text.stdout).toContain('the mirror is fresh');
      expect(text.stdout).toContain(
        `mirror: ${truth.locations.length} locations, ${truth.staff.length} staff, ${truth.services.length} services`,
      );

      expect(json.empty).toBe(false);
      expect(json.warnings).toEqual([]);
      expect(json.freshness).toMatchObject({
        stale: false,
        schedule: '0 * * * *',
        scheduleIntervalSeconds: 3600,
      });
      expect(json.freshness.lastRun?.status).toBe('succeeded');
      expect(json.locations).toHaveLength(truth.locations.length);
      for (const location of json.locations) {
        const staffHere = truth.locationStaff.filter(([l]) => l === location.id);
        const offers = truth.staffServices.filter(([l]) => l === location.id);
        expect(location.staff).toBe(staffHere.length);
        expect(location.services).toBe(truth.locationServices.filter(([l]) => l === location.id).length);
        const perService = new Map<number, number>();
        for (const [, , serviceId] of offers) perService.set(serviceId, (perService.get(serviceId) ?? 0) + 1);
        const most = Math.max(...perService.values());
        expect(location.topServices[0]?.staff).toBe(most);
        expect(perService.get(location.topServices[0]?.id ?? -1)).toBe(most);
        const idle = staffHere.map(([, s]) => s).filter((s) => !offers.some(([, o]) => o === s));
        expect(location.staffWithoutServices.map((s) => s.id).sort()).toEqual(idle.sort());
      }
      const here = json.locations.find((l) => l.id === idleLocation);
      expect(here?.staffWithoutServices.map((s) => s.id)).toContain(idleStaff);
      expect(text.stdout).toContain('staff who offer nothing here:');
      expect(text.stdout).toContain(`(${idleStaff})`);
      // Staff objects as sparse as TimeTap's own examples still have a name in the report.
      const idleNames = json.locations.flatMap((l) => l.staffWithoutServices.map((s) => s.name));
      expect(idleNames.every((name) => typeof name === 'string' && name !== '')).toBe(true);
      expect(text.stdout).not.toContain('(no name)');
      expect(here?.staffWithoutServices.find((s) => s.id === idleStaff)?.name).toBe(
        sim.data.staff.get(idleStaff)?.userName,
      );
    });

    it('appointments: the next 7 days booked per location, the last 30 days rates, the busiest staff, as TimeTap says', async () => {
      const [text, json] = await Promise.all([report(), reportJson()]);
      const { next7Days, last30Days, busiestStaff } = json.appointments;
      // Counted from the simulator's own appointments, for the dates the report names.
      const minutes = (a: { startDate: string; startTime: number; endDate: string; endTime: number }) =>
        (Date.parse(a.endDate) - Date.parse(a.startDate)) / 60_000 +
        (Math.floor(a.endTime / 100) * 60 + (a.endTime % 100)) -
        (Math.floor(a.startTime / 100) * 60 + (a.startTime % 100));
      const week = sim.data.findAppointments({ from: next7Days.from, to: next7Days.to });
      const month = sim.data.findAppointments({ from: last30Days.from, to: last30Days.to });
      expect(week.length).toBeGreaterThan(10);
      expect(month.length).toBeGreaterThan(10);
      const booked = (list: typeof week) => list.filter((a) => a.status !== 'CANCELLED');
      expect(json.appointments.mirrored).toBe(sim.data.appointments.size);
      expect(next7Days.booked).toBe(booked(week).length);
      expect(next7Days.bookedMinutes).toBe(booked(week).reduce((t, a) => t + minutes(a), 0));
      const cancelled = month.filter((a) => a.status === 'CANCELLED').length;
      const noShow = month.filter((a) => a.status === 'NO_SHOW').length;
      expect(cancelled).toBeGreaterThan(0);
      expect(noShow).toBeGreaterThan(0);
      expect(last30Days).toMatchObject({ appointments: month.length, cancelled, noShow });
      expect(last30Days.cancellationRate).toBeCloseTo(cancelled / month.length, 10);
      expect(last30Days.noShowRate).toBeCloseTo(noShow / (month.length - cancelled), 10);
      for (const location of json.locations) {
        const here = (list: typeof week) => list.filter((a) => a.location.locationId === location.id);
        expect(location.next7Days.booked).toBe(booked(here(week)).length);
        expect(location.last30Days.appointments).toBe(here(month).length);
      }
      // The busiest staff: the most minutes booked in the last 30 days, the most first.
      const perStaff = new Map<number, number>();
      for (const a of booked(month))
        perStaff.set(a.staff.professionalId, (perStaff.get(a.staff.professionalId) ?? 0) + minutes(a));
      const ranked = [...perStaff.values()].sort((a, b) => b - a).slice(0, 5);
      expect(busiestStaff.map((s) => s.bookedMinutes)).toEqual(ranked);
      for (const s of busiestStaff) expect(perStaff.get(s.id)).toBe(s.bookedMinutes);

      expect(text.stdout).toContain(`appointments: ${sim.data.appointments.size} mirrored`);
      expect(text.stdout).toContain(
        `next 7 days (${next7Days.from}..${next7Days.to}): ${next7Days.booked} booked`,
      );
      expect(text.stdout).toContain(
        `last 30 days (${last30Days.from}..${last30Days.to}): ${month.length} appointments, ${((cancelled / month.length) * 100).toFixed(1)}% cancelled`,
      );
      expect(text.stdout).toContain(
        `busiest staff, last 30 days: ${busiestStaff[0]?.name} (${busiestStaff[0]?.id})`,
      );
      // One sync: one version per appointment, so no change yet (history: db-appointment-history).
      expect(json.appointments.changes).toEqual({
        from: last30Days.from,
        reschedules: 0,
        cancellations: 0,
        medianCancellationLeadHours: null,
      });
      expect(text.stdout).toContain(`changes since ${last30Days.from}: 0 rescheduled, 0 cancelled`);
    });

    it('a SYNC_SCHEDULE that is no cron pattern leaves the freshness unjudged, and the report still prints', async () => {
      const text = await report([], { SYNC_SCHEDULE: 'bogus' });
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain(
        'schedule: "bogus" (not a usable cron pattern); the mirror\'s freshness is unknown',
      );
      const json = await reportJson({ SYNC_SCHEDULE: 'bogus' });
      expect(json.freshness).toMatchObject({ stale: null, scheduleIntervalSeconds: null });
      expect(json.warnings.join('\n')).toContain('SYNC_SCHEDULE must be a cron pattern');
      expect(json.locations.length).toBeGreaterThan(0);
    });

    it('a stale mirror (older than two schedule intervals) is flagged; a slower schedule makes it fresh again', async () => {
      await client.query(
        "UPDATE sync_runs SET started_at = now() - interval '3 hours 1 minute', finished_at = now() - interval '3 hours'",
      );
      const [text, json, daily] = await Promise.all([
        report(),
        reportJson(),
        reportJson({ SYNC_SCHEDULE: '0 3 * * *' }),
      ]);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(
        /WARNING: the mirror is stale: the last successful full sync \(run #\d+\) finished 3 h ago/,
      );
      expect(text.stdout).toContain('STALE');
      expect(json.freshness.stale).toBe(true);
      expect(json.freshness.lastSuccessfulFullSync?.ageSeconds).toBeGreaterThanOrEqual(3 * 3600);
      expect(json.warnings).toHaveLength(1);
      expect(daily.freshness).toMatchObject({ stale: false, scheduleIntervalSeconds: 86_400 });
      expect(daily.warnings).toEqual([]);
    });

    it('a location sync that succeeded since is shown as such, and does not make the mirror fresh', async () => {
      const [location] = [...sim.data.locations.keys()];
      await client.query(
        `INSERT INTO sync_runs (scope, location_id, trigger, status, started_at, finished_at)
         VALUES ('location', $1, 'manual', 'succeeded', now() - interval '1 minute', now())`,
        [location],
      );
      const [text, json] = await Promise.all([report(), reportJson()]);
      expect(json.freshness.stale).toBe(true);
      expect(json.freshness.lastSuccessfulLocationSync).toMatchObject({ locationId: location });
      expect(json.freshness.lastSuccessfulLocationSync?.ageSeconds).toBeLessThan(600);
      expect(json.freshness.lastSuccessfulFullSync?.ageSeconds).toBeGreaterThanOrEqual(3 * 3600);
      expect(text.stdout).toMatch(
        new RegExp(
          `last successful location sync: run #\\d+ \\(location ${location}\\) at .*one location only`,
        ),
      );
      expect(text.stdout).toContain('STALE');
    });

    it('a last run that did not succeed is flagged, with its reason', async () => {
      await client.query(
        `INSERT INTO sync_runs (scope, trigger, status, started_at, finished_at, error)
         VALUES ('full', 'schedule', 'failed', now(), now(), 'TimeTap answered 503 for GET /locations')`,
      );
      const json = await reportJson({ SYNC_SCHEDULE: '0 3 * * *' });
      expect(json.freshness.stale).toBe(false);
      expect(json.warnings).toEqual([
        expect.stringMatching(/the last sync run \(#\d+, full\) finished as failed: TimeTap answered 503/),
      ]);
      const text = await report([], { SYNC_SCHEDULE: '0 3 * * *' });
      expect(text.stdout).toContain('WARNING: the last sync run');
    });
  });
});
