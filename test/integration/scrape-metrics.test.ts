/**
 * The scrape-time gauges: what `mirror_freshness_view` says of a hand-made history, labelled by
 * account and scope, and what the readiness checks answer; while the view cannot be read (renamed
 * away here: a real failure of the real database), the last read stands and its ages grow.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createScrapeRefresh } from '../../src/commands/scrape-metrics.js';
import type { Db } from '../../src/db/index.js';
import type { ReadinessChecks } from '../../src/http/health.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { createRedactor } from '../../src/redact.js';
import { useTestDatabase } from '../helpers/use-database.js';

let db: Db;
useTestDatabase(['sync_runs', 'backfill_chunks'], (database) => {
  db = database.db;
});

const logger = createLogger({ level: 'silent', redactor: createRedactor() });

function setUp(
  readiness: ReadinessChecks = { database: async () => true, redis: async () => 'unreachable' },
) {
  const { registry, metrics } = createMetrics();
  let clock = Date.UTC(2026, 11, 1, 12, 0, 0);
  const refresh = createScrapeRefresh({
    db,
    metrics,
    readiness,
    logger,
    schedules: [{ account: 'default', pattern: '*/30 * * * *' }],
    now: () => clock,
  });
  const gauge = async (name: string, labels: string) => {
    const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  };
  return {
    refresh,
    gauge,
    text: () => registry.metrics(),
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

const FULL = 'account="default",scope="full"';

describe('the scrape-time gauges', () => {
  beforeEach(async () => {
    await db.$executeRawUnsafe(`
      INSERT INTO sync_runs (id, scope, trigger, status, started_at, finished_at, stats, error) VALUES
        (1, 'full', 'schedule', 'succeeded', now() - interval '2 hours', now() - interval '2 hours', '{}', NULL),
        (2, 'full', 'schedule', 'partial', now() - interval '1 hour', now() - interval '1 hour',
         '{"staff": {"deleted": 3, "held": 0}, "location_staff": {"deleted": 0, "held": 12},
           "appointment_range": {"startDate": "2026-01-01", "endDate": "2026-01-07"},
           "appointment_chunks": [{"startDate": "2026-01-01", "endDate": "2026-01-07", "complete": true}]}',
         'location_staff: would delete 12 of 20'),
        (3, 'location', 'manual', 'failed', now() - interval '3 hours', now() - interval '3 hours', '{}', 'boom')`);
  });

  it('are labelled by account and scope, from mirror_freshness_view; dependency_up from the checks', async () => {
    const { refresh, gauge } = setUp();
    await refresh();
    expect(await gauge('timetap_sync_mirror_age_seconds', FULL)).toBeGreaterThanOrEqual(7200);
    expect(await gauge('timetap_sync_mirror_age_seconds', FULL)).toBeLessThan(7260);
    expect(await gauge('timetap_sync_unsuccessful_runs_in_a_row', FULL)).toBe(1);
    expect(await gauge('timetap_sync_guard_held', FULL)).toBe(12);
    expect(await gauge('timetap_sync_tombstoned_rows', FULL)).toBe(3);
    expect(await gauge('timetap_sync_appointments_complete', FULL)).toBe(1);
    const location = 'account="default",scope="location"';
    expect(await gauge('timetap_sync_unsuccessful_runs_in_a_row', location)).toBe(1);
    // Never complete: as old as its first run; its stats say nothing of the guard or appointments.
    expect(await gauge('timetap_sync_mirror_age_seconds', location)).toBeGreaterThanOrEqual(10800);
    expect(await gauge('timetap_sync_guard_held', location)).toBeUndefined();
    expect(await gauge('timetap_sync_appointments_complete', location)).toBeUndefined();
    expect(await gauge('timetap_sync_schedule_interval_seconds', 'account="default"')).toBe(1800);
    expect(await gauge('timetap_sync_dependency_up', 'dependency="database"')).toBe(1);
    expect(await gauge('timetap_sync_dependency_up', 'dependency="redis"')).toBe(0);
  });

  it('follow the view: a new success resets the count and the age, a scope gone from it leaves no series', async () => {
    const { refresh, gauge } = setUp();
    await refresh();
    await db.$executeRawUnsafe(`
      INSERT INTO sync_runs (id, scope, trigger, status, started_at, finished_at, stats) VALUES
        (4, 'full', 'schedule', 'succeeded', now() - interval '1 minute', now(), '{"staff": {"deleted": 0, "held": 0}}');
      DELETE FROM sync_runs WHERE scope = 'location'`);
    await refresh();
    expect(await gauge('timetap_sync_mirror_age_seconds', FULL)).toBeLessThan(60);
    expect(await gauge('timetap_sync_unsuccessful_runs_in_a_row', FULL)).toBe(0);
    expect(await gauge('timetap_sync_guard_held', FULL)).toBe(0);
    expect(
      await gauge('timetap_sync_unsuccessful_runs_in_a_row', 'account="default",scope="location"'),
    ).toBeUndefined();
  });

  it('share one refresh among the scrapes that come while it is under way', async () => {
    let checks = 0;
    const { refresh, gauge } = setUp({
      database: async () => {
        checks += 1;
        await new Promise((resolve) => setTimeout(resolve, 100));
        return true;
      },
    });
    await Promise.all([refresh(), refresh(), refresh()]);
    expect(checks).toBe(1);
    expect(await gauge('timetap_sync_dependency_up', 'dependency="database"')).toBe(1);
    await refresh();
    expect(checks).toBe(2);
  });

  it('while the view cannot be read, keep its last read and grow the ages with the time since', async () => {
    const { refresh, gauge, advance } = setUp();
    await refresh();
    const age = (await gauge('timetap_sync_mirror_age_seconds', FULL)) ?? Number.NaN;
    await db.$executeRawUnsafe('ALTER VIEW mirror_freshness_view RENAME TO mirror_freshness_view_away');
    try {
      advance(600_000);
      await refresh(); // does not throw
      expect(await gauge('timetap_sync_mirror_age_seconds', FULL)).toBe(age + 600);
      expect(await gauge('timetap_sync_guard_held', FULL)).toBe(12);
    } finally {
      await db.$executeRawUnsafe('ALTER VIEW mirror_freshness_view_away RENAME TO mirror_freshness_view');
    }
  });
});
