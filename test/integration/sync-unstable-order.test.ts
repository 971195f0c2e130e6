/**
 * A report whose order is stable only by date and start time, as traffic suggests TimeTap's may
 * be: with pages capped at 10 and every tie of date and time reshuffled on every request, one walk
 * of a week's pages misses some appointments and sees others twice. A full sync of a 4-week
 * window must still complete exactly, mark nothing deleted that is not, and an unchanged second
 * sync must rewrite nothing.
 */
import { describe, expect, it } from 'vitest';
import { addDays, today } from '../../src/dates.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import type { Simulator } from '../../src/simulator/index.js';
import { windowChunks } from '../../src/sync/plan.js';
import { runSync } from '../../src/sync/run-sync.js';
import { rowVersions } from '../helpers/mirror.js';
import { createTestSyncDeps } from '../helpers/sync.js';
import { useSyncFixture } from '../helpers/use-sync-fixture.js';

const TODAY = today();
// Four weeks: 14 days back, today, 13 ahead, in chunks of a week.
const ENV = { APPOINTMENTS_PAST_DAYS: '14', APPOINTMENTS_FUTURE_DAYS: '13', APPOINTMENTS_CHUNK_DAYS: '7' };
const WINDOW = { from: addDays(TODAY, -14), to: addDays(TODAY, 13) };
const STATUSES = ['PENDING', 'OPEN', 'COMPLETED', 'CANCELLED', 'NO_SHOW'];

let sim: Simulator;
let db: PrismaClient;

useSyncFixture(
  {
    simulator: {
      seed: 77,
      locations: 3,
      today: TODAY,
      appointments: { from: WINDOW.from, to: WINDOW.to, perStaffPerDay: 2 },
      reportPaging: { maxPageSize: 10 },
      variants: { reportOrder: 'date-time' },
    },
    simulatorPer: 'file',
  },
  (fixture) => ({ sim, db } = fixture),
);

const sync = () => runSync(createTestSyncDeps(sim, db, { env: ENV }), { scope: 'full' });

async function mirrored(): Promise<{ live: number[]; deleted: number[] }> {
  const rows = await db.$queryRaw<Array<{ id: bigint; deleted: boolean }>>`
    SELECT id, deleted_at IS NOT NULL AS deleted FROM appointments ORDER BY id`;
  return {
    live: rows.filter((r) => !r.deleted).map((r) => Number(r.id)),
    deleted: rows.filter((r) => r.deleted).map((r) => Number(r.id)),
  };
}
const truth = () =>
  sim.data
    .findAppointments(WINDOW)
    .map((a) => a.calendarId)
    .sort((a, b) => a - b);

describe('a report whose order is stable only by date and time', () => {
  it('has ties of three or more, and one walk of a week misses some of them', async () => {
    const ties = new Map<string, number>();
    for (const a of sim.data.findAppointments(WINDOW)) {
      const slot = `${a.startDate} ${a.startTime}`;
      ties.set(slot, (ties.get(slot) ?? 0) + 1);
    }
    expect([...ties.values()].filter((n) => n >= 3).length).toBeGreaterThan(10);

    // What a reader that trusts one walk would see: a week's pages of 10, in page order.
    const { api } = createTestSyncDeps(sim, db, { env: ENV });
    const week = { startDate: WINDOW.from, endDate: addDays(WINDOW.from, 6), statuses: STATUSES };
    let short = 0;
    for (let attempt = 0; attempt < 5; attempt++) {
      const seen = new Set<number>();
      let count = 0;
      for (let page = 1; ; page++) {
        const answer = await api.appointmentPage(week, page, 100);
        count = answer.count ?? 0;
        for (const a of answer.items) seen.add(a.id);
        if (answer.received === 0 || page * 10 >= count) break;
      }
      if (seen.size < count) short++;
    }
    expect(short).toBeGreaterThan(0);
  });

  it('a full sync of four weeks completes exactly; an unchanged second one rewrites nothing and confirms nothing', async () => {
    const first = await sync();
    expect(first.status, first.reasons.join('\n')).toBe('succeeded');
    expect(await mirrored()).toEqual({ live: truth(), deleted: [] });
    const [run] = await db.$queryRaw<Array<{ chunks: Array<{ complete: boolean; reads: number }> }>>`
      SELECT stats->'appointment_chunks' AS chunks FROM sync_runs ORDER BY id DESC LIMIT 1`;
    // Four weeks, cut at the fixed dates every window is cut at (the first and last may be short).
    const chunks = windowChunks({ appointments: { pastDays: 14, futureDays: 13, chunkDays: 7 } });
    expect(run?.chunks).toHaveLength(chunks.length);
    expect(run?.chunks.every((c) => c.complete)).toBe(true);
    // The shuffle bit: some chunk needed more than one read.
    expect(run?.chunks.some((c) => c.reads > 1)).toBe(true);

    const before = await rowVersions(db);
    sim.resetCalls();
    const second = await sync();
    expect(second.status, second.reasons.join('\n')).toBe('succeeded');
    expect(await rowVersions(db)).toEqual(before);
    // Nothing looked unseen: no appointment was asked about at its own URL.
    expect(sim.calls.filter((c) => /^\/appointments\/\d+$/.test(c.path))).toEqual([]);
  });

  it('tombstones exactly what TimeTap deleted, nothing that a shuffled page hid', async () => {
    const [gone] = truth();
    sim.data.deleteAppointment(gone as number);
    const summary = await sync();
    expect(summary.status, summary.reasons.join('\n')).toBe('succeeded');
    expect(await mirrored()).toEqual({ live: truth(), deleted: [gone] });
    expect(summary.stats.appointments.deleted).toBe(1);
  });
});
