/**
 * Records that TimeTap could send and that used to fail a whole full sync: a number too large
 * for its typed column, and an object nested thousands of levels deep. Through the simulator over
 * real HTTP into a real Postgres: the sync succeeds, the record is mirrored (raw whole), and a
 * second sync writes nothing.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ACCOUNT } from '../../src/account.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import type { Simulator } from '../../src/simulator/index.js';
import { runSync } from '../../src/sync/run-sync.js';
import { rowVersions } from '../helpers/mirror.js';
import { depthOf } from '../helpers/nesting.js';
import { createTestSyncDeps } from '../helpers/sync.js';
import { useSyncFixture } from '../helpers/use-sync-fixture.js';

let sim: Simulator;
let db: PrismaClient;

useSyncFixture(
  { simulator: { seed: 5, locations: 2 }, simulatorPer: 'file' },
  (fixture) => ({ sim, db } = fixture),
);

describe('a full sync with hostile records', () => {
  it('mirrors a 3,000,000,000-minute service and a 3,000-level record, then writes nothing', async () => {
    const [huge, deep] = [...sim.data.services.keys()] as [number, number];
    sim.data.update('service', huge, { visitMinutes: 3_000_000_000 });
    let nested: unknown = 'bottom';
    for (let i = 1; i < 3_000; i++) nested = { a: nested };
    // The record itself is the first level, so this field is levels 2 to 3,000.
    sim.data.update('service', deep, { a: nested });

    const first = await runSync(createTestSyncDeps(sim, db), { scope: 'full' });
    expect(first.status).toBe('succeeded');

    const hugeRow = await db.service.findUniqueOrThrow({
      where: { account_id: { account: DEFAULT_ACCOUNT, id: BigInt(huge) } },
    });
    expect(hugeRow.durationMinutes).toBeNull();
    expect((hugeRow.raw as Record<string, unknown>).visitMinutes).toBe(3_000_000_000);
    const deepRow = await db.service.findUniqueOrThrow({
      where: { account_id: { account: DEFAULT_ACCOUNT, id: BigInt(deep) } },
    });
    expect(depthOf(deepRow.raw)).toBe(3_000);
    expect(deepRow.durationMinutes).toBe(sim.data.services.get(deep)?.visitMinutes);

    const before = await rowVersions(db);
    const second = await runSync(createTestSyncDeps(sim, db), { scope: 'full' });
    expect(second.status).toBe('succeeded');
    expect(await rowVersions(db)).toEqual(before);
  });
});
