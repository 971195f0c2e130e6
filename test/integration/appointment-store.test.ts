/**
 * A chunk's appointments written while the rest of it is read (sync/appointment-store.ts): the
 * batches written early are in the mirror before the chunk ends, the copies the chunk ends with
 * win, and nothing is written twice.
 */
import { describe, expect, it } from 'vitest';
import { addDays, today } from '../../src/dates.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import type { AppointmentRecord } from '../../src/records.js';
import type { Simulator } from '../../src/simulator/index.js';
import { ChunkStore } from '../../src/sync/appointment-store.js';
import { emptyStats } from '../../src/sync/stats.js';
import { createTestSyncDeps } from '../helpers/sync.js';
import { useSyncFixture, WALK_TABLES } from '../helpers/use-sync-fixture.js';

let sim: Simulator;
let db: PrismaClient;
const TODAY = today();

useSyncFixture(
  {
    simulator: { seed: 31, locations: 3, today: TODAY, appointments: { perStaffPerDay: 2 } },
    simulatorPer: 'file',
    tables: [...WALK_TABLES, 'clients', 'appointments'],
  },
  (fixture) => ({ sim, db } = fixture),
);

async function mirrored(): Promise<Map<number, { status: string | null; xmin: string }>> {
  const rows = await db.$queryRaw<Array<{ id: bigint; status: string | null; xmin: string }>>`
    SELECT id, status, xmin::text AS xmin FROM appointments`;
  return new Map(rows.map((r) => [Number(r.id), { status: r.status, xmin: r.xmin }]));
}

describe('a chunk written while it is read', () => {
  it('writes batches as they fill, then only what the chunk ended with and was not written', async () => {
    const deps = createTestSyncDeps(sim, db);
    const records: AppointmentRecord[] = [];
    for (let page = 1; records.length < 250; page++) {
      const read = await deps.api.appointmentPage(
        { startDate: addDays(TODAY, -20), endDate: TODAY },
        page,
        100,
      );
      if (read.items.length === 0) break;
      records.push(...read.items);
    }
    expect(records.length).toBeGreaterThanOrEqual(250);
    const appointments = records.slice(0, 250);
    const stats = emptyStats();
    const store = new ChunkStore(deps, new Date(), stats, { earlyWriteRows: 100 });
    const kept = appointments.slice(0, 150).map(store.keep);
    await store.settle();
    // A batch of 100 went while the chunk was "read"; the next 50 wait for more.
    expect((await mirrored()).size).toBe(100);
    // The 100th pending row starts the next batch; the 50 kept while it is written wait too.
    kept.push(...appointments.slice(150).map(store.keep));
    await store.settle();
    const early = await mirrored();
    expect(early.size).toBe(200);
    // A later read of the chunk brings another copy of the first appointment.
    const first = appointments[0] as AppointmentRecord;
    const again = store.keep({ ...first, status: 'CANCELLED', raw: { ...first.raw, status: 'CANCELLED' } });
    await store.store([again, ...kept.slice(1)]);
    const after = await mirrored();
    expect(after.size).toBe(250);
    expect(after.get(first.id)?.status).toBe('CANCELLED');
    // The rows written early and not read again were not written again.
    for (const a of appointments.slice(1, 200)) expect(after.get(a.id)?.xmin).toBe(early.get(a.id)?.xmin);
    expect(stats.appointments).toMatchObject({ inserted: 250, updated: 1 });
  });
});
