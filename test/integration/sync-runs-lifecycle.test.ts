/**
 * Every run starts through the same atomic start and heartbeats while any of its steps works:
 * two location syncs of one location at once give one run, `sync` refuses while a worker's full
 * run is alive, and a walk slower than the stale period never looks dead.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { RunActiveError } from '../../src/errors.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import type { Simulator } from '../../src/simulator/index.js';
import { runSync } from '../../src/sync/run-sync.js';
import { createTestSyncDeps } from '../helpers/sync.js';
import { useSyncFixture } from '../helpers/use-sync-fixture.js';

let sim: Simulator;
let db: PrismaClient;

useSyncFixture(
  { simulator: { seed: 13, locations: 3 }, simulatorPer: 'file', tables: ['sync_runs'] },
  (fixture) => ({ sim, db } = fixture),
);
beforeEach(() => {
  sim.setLatency(0);
});

const runs = () =>
  db.$queryRaw<
    Array<{ id: number; scope: string; status: string }>
  >`SELECT id, scope, status FROM sync_runs ORDER BY id`;

describe('one atomic start for every run', () => {
  it('two syncs of one location at once give one run; the other starts nothing and says why', async () => {
    const [locationId] = [...sim.data.locations.keys()] as [number];
    sim.setLatency(30);
    const results = await Promise.allSettled([
      runSync(createTestSyncDeps(sim, db), { scope: 'location', locationId }),
      runSync(createTestSyncDeps(sim, db), { scope: 'location', locationId }),
    ]);
    const refused = results
      .filter((r) => r.status === 'rejected')
      .map((r) => (r as PromiseRejectedResult).reason);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(RunActiveError);
    expect((refused[0] as Error).message).toMatch(
      new RegExp(`^a sync of location ${locationId} is already running \\(run \\d+\\); nothing was started`),
    );
    expect(await runs()).toEqual([expect.objectContaining({ scope: 'location', status: 'succeeded' })]);
  });

  it('refuses a full sync while another full run is alive, with a clear message', async () => {
    await db.$executeRaw`INSERT INTO sync_runs (scope, trigger, status) VALUES ('full', 'schedule', 'running')`;
    const [alive] = await runs();
    const error = await runSync(createTestSyncDeps(sim, db), { scope: 'full' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunActiveError);
    expect((error as Error).message).toBe(
      `a full sync is already running (run ${alive?.id}); nothing was started: try again when it has finished`,
    );
    expect(await runs()).toHaveLength(1);
  });
});

describe('heartbeats', () => {
  it('keep a run alive while it reads the account lists, however long that takes', async () => {
    sim.setLatency(150);
    const deps = { ...createTestSyncDeps(sim, db), heartbeatMs: 100 };
    const beats = new Set<number>();
    let running = true;
    const watching = (async () => {
      while (running) {
        const [row] = await db.$queryRaw<Array<{ at: Date | null }>>`
          SELECT heartbeat_at AS at FROM sync_runs WHERE status = 'running' LIMIT 1`;
        if (row?.at) beats.add(row.at.getTime());
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    })();
    // Reading the account-wide lists alone takes several round trips of 150 ms here.
    const summary = await runSync(deps, { scope: 'full' });
    running = false;
    await watching;
    expect(summary.status).toBe('succeeded');
    expect(beats.size).toBeGreaterThanOrEqual(4);
  });
});
