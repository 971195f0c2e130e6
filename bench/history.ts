/**
 * Measurement 9: what history mode (HISTORY_MODE, appointment_history) costs the appointment
 * write path. The appointments of measurement 6's write path (its account, `writes.days` days of
 * history), written by upsertAppointments as a backfill's worker writes them (one call per chunk,
 * WORKER_CONCURRENCY chunks at a time), into two databases, one with history on and one off: a
 * first load, then the same with every tenth appointment cancelled. Each mode runs ROUNDS times
 * (emptied before each round, the modes alternating), and the medians are compared. Then, for
 * scale, a year of appointments (measurement 6's `historyDays`) written with history on: the
 * versions that a year's backfill leaves and the disk they take.
 */

import { pino } from 'pino';
import { DEFAULT_ACCOUNT } from '../src/account.js';
import { DEFAULT_WORKER_CONCURRENCY } from '../src/config.js';
import { addDays, dateChunks, today } from '../src/dates.js';
import { type AppointmentRow, upsertAppointments } from '../src/db/appointments.js';
import { createDatabase, type Database } from '../src/db/database.js';
import { startSimulator } from '../src/simulator/index.js';
import { mapSettled } from '../src/sync/concurrency.js';
import { changed, rowsOf, WINDOW } from './appointments.js';
import { type BenchContext, type BenchSection, type Figure, fmt } from './figures.js';
import { timed } from './write-path.js';

/** History may cost at most this much of the write time (issue 23). */
export const HISTORY_RATIO_TARGET = 1.3;
const ROUNDS = 7;
const CLIENT_DATA = { mode: 'full', hashKey: 'bench' } as const;

type Mode = 'on' | 'off';

export async function measureHistory(ctx: BenchContext): Promise<BenchSection> {
  const sizes = ctx.sizes.appointments;
  const day = today();
  const windowStart = addDays(day, -WINDOW.pastDays);
  const year = { from: addDays(windowStart, -sizes.historyDays), to: addDays(windowStart, -1) };
  const writes = { from: addDays(windowStart, -sizes.writes.days), to: year.to };
  const sim = await startSimulator({
    ...sizes.account,
    today: day,
    appointments: { from: year.from, to: year.to, perStaffPerDay: sizes.perStaffPerDay },
  });
  const chunksOf = (range: { from: string; to: string }) =>
    dateChunks({ startDate: range.from, endDate: range.to }, WINDOW.chunkDays).map((c) =>
      rowsOf(sim.data.findAppointments({ from: c.startDate, to: c.endDate })),
    );
  const first = chunksOf(writes);
  const passes = [
    { label: 'first load', data: first },
    { label: '10% changed', data: first.map((c) => c.map(changed)) },
  ];
  const rows = first.reduce((n, c) => n + c.length, 0);
  const databases: Record<Mode, Database> = {
    on: open(await ctx.databases.create('history_on'), 'on'),
    off: open(await ctx.databases.create('history_off'), 'off'),
  };
  try {
    for (const db of Object.values(databases)) await db.prisma.$queryRaw`SELECT 1`;
    const times: Record<Mode, number[][]> = { on: [[], []], off: [[], []] };
    for (let round = 0; round < ROUNDS; round += 1) {
      const order: Mode[] = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
      for (const mode of order) {
        const db = databases[mode].prisma;
        await db.$executeRawUnsafe('TRUNCATE appointments, appointment_history');
        await db.$executeRawUnsafe('VACUUM ANALYZE appointments, appointment_history');
        for (const [i, pass] of passes.entries()) {
          ctx.log(`9: history ${mode}, round ${round + 1}, ${pass.label}: ${fmt.int(rows)} rows`);
          // Each pass a later read than the one before, as a later sync's would be.
          const readAt = new Date(Date.now() + i * 1000);
          times[mode][i]?.push(await timed(() => write(databases[mode], pass.data, readAt)));
          // No ANALYZE between the passes: a sync may come before autovacuum has looked at what the
          // one before wrote, and the history's triggers must not need table statistics.
        }
      }
    }
    const figures: Figure[] = passes.map((pass, i) => {
      const on = median(times.on[i] ?? []);
      const off = median(times.off[i] ?? []);
      const ratio = on / off;
      return {
        measurement: '9 history',
        what: `appointment write path, ${pass.label}: history on / off (${fmt.ms(on)} / ${fmt.ms(off)})`,
        value: fmt.ratio(ratio),
        target: `<= ${fmt.ratio(HISTORY_RATIO_TARGET)}`,
        pass: ratio <= HISTORY_RATIO_TARGET,
      };
    });
    ctx.log(`9: a year of appointments with history on`);
    const scale = await yearOfHistory(databases.on, chunksOf(year));
    figures.push({
      measurement: '9 history',
      what: `a year's backfill (${year.from}..${year.to}): appointment_history rows / disk`,
      value: `${fmt.int(scale.rows)} / ${fmt.bytes(scale.bytes)}`,
      target: '',
      pass: undefined,
    });
    const raw = (mode: Mode, i: number) => (times[mode][i] ?? []).map((ms) => fmt.ms(ms)).join(', ');
    return {
      figures,
      notes: [
        `9 (history): ${fmt.int(rows)} appointments of ${writes.from}..${writes.to} (measurement 6's account), ` +
          `written by upsertAppointments one call per ${WINDOW.chunkDays}-day chunk, ${DEFAULT_WORKER_CONCURRENCY} at a time, ` +
          `into a database with HISTORY_MODE on and one with it off, not analyzed between the passes (a sync may ` +
          `come before autovacuum); medians of ${ROUNDS} rounds. ` +
          passes.map((p, i) => `${p.label}: on ${raw('on', i)}; off ${raw('off', i)}`).join('. ') +
          `. A year: ${fmt.int(scale.appointments)} appointments, ${fmt.int(scale.rows)} versions, ` +
          `${fmt.bytes(scale.bytes)} with indexes (${fmt.bytes((scale.bytes / Math.max(scale.rows, 1)) * 1e6)} per million versions).`,
      ],
    };
  } finally {
    await sim.close();
    await databases.on.close();
    await databases.off.close();
  }
}

function open(url: string, historyMode: Mode): Database {
  return createDatabase(
    { url, poolSize: 4, connectTimeoutMs: 10_000, statementTimeoutMs: 300_000, historyMode },
    pino({ level: 'silent' }),
  );
}

async function write(database: Database, chunks: readonly AppointmentRow[][], readAt: Date): Promise<void> {
  const written = await mapSettled(chunks, DEFAULT_WORKER_CONCURRENCY, (chunk) =>
    upsertAppointments(database.prisma, chunk, { account: DEFAULT_ACCOUNT, readAt, clientData: CLIENT_DATA }),
  );
  for (const result of written) if (result.status === 'rejected') throw result.reason;
}

async function yearOfHistory(
  database: Database,
  chunks: readonly AppointmentRow[][],
): Promise<{ appointments: number; rows: number; bytes: number }> {
  const db = database.prisma;
  await db.$executeRawUnsafe('TRUNCATE appointments, appointment_history');
  await write(database, chunks, new Date());
  await db.$executeRawUnsafe('VACUUM ANALYZE appointment_history');
  const [row] = await db.$queryRaw<Array<{ rows: number; bytes: bigint }>>`
    SELECT count(*)::int AS rows, pg_total_relation_size('appointment_history') AS bytes FROM appointment_history`;
  return {
    appointments: chunks.reduce((n, c) => n + c.length, 0),
    rows: row?.rows ?? 0,
    bytes: Number(row?.bytes ?? 0),
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
