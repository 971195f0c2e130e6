/**
 * The reporting views (prisma/migrations/*_reporting_views) return what the tables say, active
 * rows only: a hand-made mirror with tombstoned rows and links on every side, and a mirror
 * synced from the simulator (then changed in TimeTap and synced again) compared with the truth.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/index.js';
import { runSync } from '../../src/sync/run-sync.js';
import { useMigratedSchema } from '../helpers/schema.js';
import { createTestSyncDeps, recentAppointments } from '../helpers/sync.js';

const migrated = useMigratedSchema();

async function rows(sql: string): Promise<unknown[][]> {
  const result = await migrated.client.query({ text: sql, rowMode: 'array' });
  return result.rows.map((row: unknown[]) =>
    row.map((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v)),
  );
}

async function clear(): Promise<void> {
  await migrated.client.query(
    'TRUNCATE locations, staff, services, location_staff, location_services, staff_services, sync_runs',
  );
}

describe('the reporting views, on a hand-made mirror', () => {
  beforeAll(async () => {
    await clear();
    await migrated.client.query(`
      INSERT INTO locations (id, name, raw, content_hash, deleted_at) VALUES
        (1, 'Harbor', '{}', 'h', NULL), (2, 'Closed', '{}', 'h', now());
      INSERT INTO staff (id, full_name, email, raw, content_hash, deleted_at) VALUES
        (10, 'Ann', 'ann@example.com', '{}', 'h', NULL), (11, 'Gone', NULL, '{}', 'h', now()),
        (12, 'Cid', NULL, '{}', 'h', NULL);
      INSERT INTO services (id, name, duration_minutes, service_type, raw, content_hash, deleted_at) VALUES
        (20, 'Cut', 30, 'SERVICE', '{}', 'h', NULL), (21, 'Dye', 60, NULL, '{}', 'h', now()),
        (22, 'Wash', NULL, NULL, '{}', 'h', NULL);
      INSERT INTO location_staff (location_id, staff_id, deleted_at) VALUES
        (1, 10, NULL), (1, 11, NULL), (1, 12, now()), (2, 10, NULL);
      INSERT INTO location_services (location_id, service_id, deleted_at) VALUES
        (1, 20, NULL), (1, 21, NULL), (1, 22, NULL), (2, 20, NULL);
      INSERT INTO staff_services (location_id, staff_id, service_id, deleted_at) VALUES
        (1, 10, 20, NULL), (1, 10, 21, NULL), (1, 10, 22, now()), (1, 11, 20, NULL), (2, 10, 20, NULL);
    `);
  });

  it('location_staff_view: who works where, with names', async () => {
    expect(
      await rows(
        'SELECT location_id, location_name, staff_id, staff_name, staff_email FROM location_staff_view',
      ),
    ).toEqual([[1, 'Harbor', 10, 'Ann', 'ann@example.com']]);
  });

  it('location_services_view: what is offered where', async () => {
    expect(
      await rows(
        'SELECT location_id, location_name, service_id, service_name, duration_minutes, service_type FROM location_services_view ORDER BY service_id',
      ),
    ).toEqual([
      [1, 'Harbor', 20, 'Cut', 30, 'SERVICE'],
      [1, 'Harbor', 22, 'Wash', null, null],
    ]);
  });

  it('staff_services_view: who offers what where, with names and durations', async () => {
    expect(
      await rows(
        'SELECT location_id, location_name, staff_id, staff_name, service_id, service_name, duration_minutes FROM staff_services_view',
      ),
    ).toEqual([[1, 'Harbor', 10, 'Ann', 20, 'Cut', 30]]);
  });

  it('sync_status_view: one row of NULLs before any run', async () => {
    expect(
      await rows(
        'SELECT last_success_run_id, mirror_age_seconds, last_run_id, last_run_status FROM sync_status_view',
      ),
    ).toEqual([[null, null, null, null]]);
  });

  it('sync_status_view: the last successful full sync, its age, and the latest run of any scope', async () => {
    await migrated.client.query(`
      INSERT INTO sync_runs (id, scope, trigger, status, started_at, finished_at) VALUES
        (1, 'full', 'schedule', 'succeeded', now() - interval '3 hours', now() - interval '3 hours'),
        (2, 'full', 'schedule', 'succeeded', now() - interval '2 hours', now() - interval '2 hours'),
        (3, 'full', 'schedule', 'partial', now() - interval '1 hour', now() - interval '1 hour');
      INSERT INTO sync_runs (id, scope, location_id, trigger, status, started_at, finished_at, error) VALUES
        (4, 'location', 1, 'manual', 'failed', now() - interval '10 minutes', now() - interval '9 minutes', 'boom');
    `);
    const [row] = await rows(
      `SELECT last_success_run_id, mirror_age_seconds BETWEEN 7190 AND 7300, last_run_id, last_run_scope,
              last_run_location_id, last_run_status, last_run_error, mirror_age > interval '119 minutes'
         FROM sync_status_view`,
    );
    expect(row).toEqual([2, true, 4, 'location', 1, 'failed', 'boom', true]);
  });

  it('sync_status_view: names both kinds of success; a location sync never counts as a full one', async () => {
    await migrated.client.query(`
      INSERT INTO sync_runs (id, scope, location_id, trigger, status, started_at, finished_at) VALUES
        (5, 'location', 1, 'manual', 'succeeded', now() - interval '20 minutes', now() - interval '19 minutes'),
        (6, 'location', 2, 'manual', 'succeeded', now() - interval '5 minutes', now() - interval '4 minutes');
    `);
    const [row] = await rows(
      `SELECT last_full_success_run_id, last_full_success_at = last_success_at, last_success_run_id,
              mirror_age_seconds > 7000, last_location_success_run_id, last_location_success_location_id,
              last_location_success_at > last_full_success_at, last_run_id
         FROM sync_status_view`,
    );
    // Run 6 is the newest run and the newest success; the mirror is still as old as full run 2.
    expect(row).toEqual([2, true, 2, true, 6, 2, true, 6]);
  });
});

describe('the reporting views, on a mirror synced from the simulator', () => {
  let sim: Simulator;
  beforeAll(async () => {
    await clear();
    sim = await startSimulator({ seed: 23, locations: 4, appointments: recentAppointments() });
  });
  afterAll(async () => {
    await sim?.close();
  });

  /** The display name TimeTap's objects allow: full name, else first + last, else user name, else email. */
  function displayName(staff: Record<string, unknown>): string | null {
    const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
    const firstLast = text(`${text(staff.firstName) ?? ''} ${text(staff.lastName) ?? ''}`);
    return text(staff.fullName) ?? firstLast ?? text(staff.userName) ?? text(staff.email) ?? null;
  }

  async function expectViewsToMatchTheTruth(): Promise<void> {
    const truth = sim.data.snapshot();
    const name = new Map(truth.locations.map((l) => [Number(l.locationId), l.locationName ?? null]));
    // Documented-sparse staff objects carry no name at all: the views still name everyone.
    const staffNames = new Map(truth.staff.map((s) => [Number(s.professionalId), displayName(s)]));
    const shown = await rows('SELECT DISTINCT staff_id, staff_name FROM location_staff_view ORDER BY 1');
    expect(shown).toEqual(shown.map(([id]) => [id, staffNames.get(Number(id))]));
    expect(shown.every(([, staffName]) => typeof staffName === 'string')).toBe(true);
    expect(truth.staff.some((s) => s.fullName === undefined && s.firstName === undefined)).toBe(true);
    expect(await rows('SELECT location_id, staff_id FROM location_staff_view ORDER BY 1, 2')).toEqual(
      truth.locationStaff,
    );
    expect(await rows('SELECT location_id, service_id FROM location_services_view ORDER BY 1, 2')).toEqual(
      truth.locationServices,
    );
    expect(
      await rows('SELECT location_id, staff_id, service_id FROM staff_services_view ORDER BY 1, 2, 3'),
    ).toEqual(truth.staffServices);
    const names = await rows(
      'SELECT DISTINCT location_id, location_name FROM location_staff_view ORDER BY 1',
    );
    expect(names).toEqual(names.map(([id]) => [id, name.get(Number(id))]));
  }

  it('match the truth after a full sync, and after TimeTap changed and a second sync tombstoned', async () => {
    const deps = createTestSyncDeps(sim, migrated.database.db);
    expect((await runSync(deps, { scope: 'full' })).status).toBe('succeeded');
    await expectViewsToMatchTheTruth();
    const [first] = await rows('SELECT last_success_run_id, last_run_status FROM sync_status_view');

    const [locationId, staffIds] = [...sim.data.locationStaff][0] ?? [];
    const [staffId] = [...(staffIds ?? [])];
    if (locationId === undefined || staffId === undefined)
      throw new Error('simulator has no staff at a location');
    sim.data.unlink('staff', locationId, staffId);
    const [serviceId] = [...(sim.data.locationServices.get(locationId) ?? [])];
    if (serviceId !== undefined) sim.data.remove('service', serviceId);
    expect((await runSync(deps, { scope: 'full' })).status).toBe('succeeded');
    await expectViewsToMatchTheTruth();
    const [second] = await rows('SELECT last_success_run_id, last_run_status FROM sync_status_view');
    expect(second).toEqual([Number(first?.[0]) + 1, 'succeeded']);
    // The links are still in the tables, tombstoned: the views leave them out.
    const tombstoned = await rows(
      `SELECT count(*) FROM location_staff WHERE location_id = ${locationId} AND staff_id = ${staffId} AND deleted_at IS NOT NULL`,
    );
    expect(tombstoned).toEqual([[1]]);
  });

  /** The SQL examples of the README and the reporting cookbook, each titled by its first comment. */
  function readmeExamples(): Array<{ title: string; sql: string }> {
    const pages = ['../../README.md', '../../docs/reporting.md'].map((page) =>
      readFileSync(new URL(page, import.meta.url), 'utf8'),
    );
    const examples = new Set(
      pages.flatMap((page) => [...page.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1] ?? '')),
    );
    return [...examples].map((sql) => ({ title: /^--\s*(.*)$/m.exec(sql)?.[1] ?? sql.slice(0, 60), sql }));
  }

  it('README examples that group, group by ids, and their counts are the truth despite duplicate names', async () => {
    const truth = sim.data.snapshot();
    // The account must hold what makes grouping by names wrong: twins among the locations and
    // among the services, whose links add up under one name.
    const locationName = new Map(truth.locations.map((l) => [Number(l.locationId), String(l.locationName)]));
    const serviceName = new Map(truth.services.map((v) => [Number(v.reasonId), String(v.reasonDesc)]));
    expect(new Set(locationName.values()).size).toBeLessThan(locationName.size);
    expect(new Set(serviceName.values()).size).toBeLessThan(serviceName.size);

    const countBy = <T>(items: T[], key: (item: T) => string) => {
      const counts = new Map<string, number>();
      for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
      return counts;
    };
    const staffAt = countBy(truth.locationStaff, ([location]) => `${location}`);
    const offeredBy = countBy(truth.staffServices, ([location, , service]) => `${location}/${service}`);
    // Grouped by names, these counts would differ: the test below would catch a query that does.
    const staffAtByName = countBy(truth.locationStaff, ([location]) => `${locationName.get(location)}`);
    expect([...staffAtByName.values()].sort()).not.toEqual([...staffAt.values()].sort());

    // The appointment examples' truth, from the simulator's appointments (all in the window).
    const appointments = [...sim.data.appointments.values()];
    const perDayLocation = new Map<string, { booked: number; cancelled: number; noShows: number }>();
    for (const a of appointments) {
      const key = `${a.startDate}/${a.location.locationId}`;
      const counts = perDayLocation.get(key) ?? { booked: 0, cancelled: 0, noShows: 0 };
      if (a.status === 'CANCELLED') counts.cancelled++;
      else counts.booked++;
      if (a.status === 'NO_SHOW') counts.noShows++;
      perDayLocation.set(key, counts);
    }
    const visits = countBy(
      appointments.filter((a) => a.status === 'COMPLETED' && a.client),
      (a) => `${a.client?.clientId}`,
    );

    const grouped = readmeExamples().filter(({ sql }) => /\bGROUP BY\b/i.test(sql));
    for (const { title, sql } of grouped) {
      const groupBy = /GROUP BY([\s\S]*?)(ORDER BY|HAVING|LIMIT|;|$)/i.exec(sql)?.[1] ?? '';
      for (const [, entity] of groupBy.matchAll(/\b(location|staff|service|client)_name\b/g)) {
        expect(groupBy, `${title}: groups by ${entity}_name without ${entity}_id`).toMatch(
          new RegExp(`\\b${entity}_id\\b`),
        );
      }
      const result = await migrated.client.query<Record<string, string | number | null>>(sql);
      expect(result.rows.length, title).toBeGreaterThan(0);
      const columns = result.fields.map((f) => f.name);
      if (columns.includes('start_date')) {
        // Appointments per day and location.
        for (const row of result.rows) {
          const key = `${row.start_date}/${row.location_id}`;
          expect(
            { booked: Number(row.booked), cancelled: Number(row.cancelled), noShows: Number(row.no_shows) },
            `${title}: ${key}`,
          ).toEqual(perDayLocation.get(key));
        }
        expect(result.rows.length, title).toBe(perDayLocation.size);
      } else if (columns.includes('cancelled_pct')) {
        // Per staff member: ids shown, one row each.
        expect(new Set(result.rows.map((r) => r.staff_id)).size, title).toBe(result.rows.length);
      } else if (columns.includes('service_id')) {
        const shown = new Map(
          result.rows.map((row) => [`${row.location_id}/${row.service_id}`, Number(row.staff)]),
        );
        expect(shown, title).toEqual(offeredBy);
      } else if (columns.includes('staff')) {
        const shown = new Map(result.rows.map((row) => [`${row.location_id}`, Number(row.staff)]));
        expect(shown, title).toEqual(staffAt);
      } else throw new Error(`${title}: a grouped README example with no known truth; add one here`);
      // Names are shown beside the ids, and they are the right ones.
      if (columns.includes('location_id'))
        for (const row of result.rows)
          expect(row.location_name, title).toBe(locationName.get(Number(row.location_id)));
    }
    // Visits per client, from the ungrouped example over client_visits_view.
    const clientsExample = readmeExamples().find(({ sql }) => /client_visits_view/.test(sql));
    const top = await migrated.client.query<{ client_id: string; visits: number }>(clientsExample?.sql ?? '');
    for (const row of top.rows) expect(row.visits).toBe(visits.get(`${row.client_id}`) ?? 0);
    // At least the two above: staff per location, and services by the staff who offer them.
    expect(grouped.length).toBeGreaterThanOrEqual(2);
  });

  it('runs every SQL example of the README, and each one answers', async () => {
    const examples = readmeExamples().map(({ sql }) => sql);
    expect(examples.length).toBeGreaterThanOrEqual(5);
    // The examples need a service called massage and a staff member who offers nothing somewhere.
    await migrated.client.query(`
      UPDATE services SET name = 'Deep Tissue Massage' WHERE id = (
        SELECT min(service_id) FROM staff_services_view
         WHERE staff_id <> (SELECT max(staff_id) FROM staff_services_view));
      UPDATE staff_services SET deleted_at = now()
       WHERE staff_id = (SELECT max(staff_id) FROM staff_services_view);
    `);
    for (const sql of examples) {
      const result = await migrated.client.query(sql);
      expect(result.rows.length, sql).toBeGreaterThan(0);
    }
  });
});
