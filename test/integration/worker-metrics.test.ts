import { describe, expect, inject, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { spawnWorker } from '../faults/helpers/worker-process.js';
import type { TestDatabase } from '../helpers/database.js';
import { useQueuePrefix } from '../helpers/redis.js';
import { workerProcessEnv } from '../helpers/sync.js';
import { useSyncFixture } from '../helpers/use-sync-fixture.js';

let sim: Simulator;
let database: TestDatabase;
const prefix = useQueuePrefix('metrics');

useSyncFixture(
  { simulator: { seed: 5, locations: 1, appointments: false }, simulatorPer: 'file' },
  (fixture) => ({ sim, database } = fixture),
);

describe('GET /metrics after a start', () => {
  it('holds the last successful run of each scope from sync_runs, before any sync of this worker', async () => {
    const at = (iso: string) => new Date(iso);
    await database.db.syncRun.createMany({
      data: [
        { scope: 'full', trigger: 'schedule', status: 'succeeded', finishedAt: at('2026-01-01T10:00:00Z') },
        { scope: 'full', trigger: 'schedule', status: 'succeeded', finishedAt: at('2026-01-01T11:00:00Z') },
        // Later, but not a success: the gauge keeps the last success.
        { scope: 'full', trigger: 'schedule', status: 'partial', finishedAt: at('2026-01-01T12:00:00Z') },
        {
          scope: 'location',
          locationId: 1001,
          trigger: 'manual',
          status: 'succeeded',
          finishedAt: at('2026-01-01T12:30:00Z'),
        },
      ],
    });
    const worker = spawnWorker(
      workerProcessEnv(sim, { databaseUrl: database.url, redisUrl: inject('redisUrl'), prefix }),
    );
    try {
      const url = await worker.started;
      const text = await (await fetch(`${url}/metrics`)).text();
      const seconds = (iso: string) => String(Date.parse(iso) / 1000);
      expect(text).toContain(
        `timetap_sync_last_success_timestamp_seconds{account="default",scope="full"} ${seconds('2026-01-01T11:00:00Z')}`,
      );
      expect(text).toContain(
        `timetap_sync_last_success_timestamp_seconds{account="default",scope="location"} ${seconds('2026-01-01T12:30:00Z')}`,
      );
      expect(text).not.toContain(
        'timetap_sync_last_success_timestamp_seconds{account="default",scope="backfill"}',
      );
    } finally {
      worker.kill('SIGTERM');
      await worker.exited;
    }
  });
});
