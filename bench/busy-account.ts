/**
 * Measurement 6 (e), a bigger account: 20 locations x 25 staff with a year of about 150
 * appointments a day per location (about 1.1 million), backfilled at once through one worker
 * process as (a) backfills the standard account (bench/appointments.ts), under the same budget:
 * time against the API bound, the worker's peak RSS, appointments mirrored per second, where the
 * time went, and what the mirror then takes on disk per million appointments. `quick` leaves it
 * out; `smoke` backfills two weeks of one such location, so that the path keeps running.
 */
import pg from 'pg';
import { addDays, today } from '../src/dates.js';
import { startSimulator } from '../src/simulator/index.js';
import { TIME_TO_BOUND_TARGET } from './api-bound.js';
import { type Backfill, backfill, cpu, describeBackfill, type Range, rate, WINDOW } from './appointments.js';
import { type BenchContext, type BenchSection, fmt } from './figures.js';
import { apiBoundMs } from './sync-harness.js';

/** What the mirror holds on disk after the backfill (bytes), and how many appointments. */
interface DiskUse {
  rows: number;
  /** The appointments table alone (main fork), its indexes, and the rest: TOAST, free space and visibility maps. */
  table: number;
  indexes: number;
  appointments: number;
  backfillChunks: number;
  database: number;
}

export async function measureBusyAccount(ctx: BenchContext): Promise<BenchSection> {
  const sizes = ctx.sizes.appointments.busy;
  if (!sizes) return { figures: [], notes: [`6 (bigger account): left out at ${ctx.sizes.name} size.`] };
  const day = today();
  const windowStart = addDays(day, -WINDOW.pastDays);
  const year: Range = { from: addDays(windowStart, -sizes.historyDays), to: addDays(windowStart, -1) };
  const sim = await startSimulator({
    ...sizes.account,
    today: day,
    latencyMs: ctx.sizes.latencyMs,
    appointments: { ...year, perStaffPerDay: sizes.perStaffPerDay },
    ...(ctx.variants ? { variants: ctx.variants } : {}),
  });
  try {
    const history = sim.data.findAppointments(year).length;
    const locations = sim.data.locations.size;
    ctx.log(
      `6: the bigger account, ${locations} location(s), ${fmt.int(history)} appointments in ${sizes.historyDays} days`,
    );
    const ownCpu = process.cpuUsage();
    const run = await backfill(ctx, sim, year, 'appt_busy');
    const simulatorCpuMs = cpuMs(process.cpuUsage(ownCpu));
    const disk = await diskUse(run.databaseUrl);
    const { budget } = ctx.sizes.appointments;
    const bound = apiBoundMs(run.sync.apiCalls, budget, ctx.sizes.latencyMs);
    const ratio = run.sync.wallMs / bound;
    const shape = `${locations} location(s) x ${sizes.account.staffPerLocation} staff`;
    const perMillion = (bytes: number) => fmt.bytes((bytes * 1e6) / Math.max(disk.rows, 1));
    return {
      figures: [
        {
          measurement: '6 appointments',
          what:
            `bigger account (${shape}): backfill of ${fmt.int(history)} appointments: time / API bound ` +
            `(${fmt.int(run.sync.apiCalls)} calls, ${fmt.ms(run.sync.wallMs)} vs ${fmt.ms(bound)}; run ${run.sync.status})`,
          value: fmt.ratio(ratio),
          target: `<= ${TIME_TO_BOUND_TARGET}`,
          pass: ratio <= TIME_TO_BOUND_TARGET && run.sync.status === 'succeeded',
        },
        {
          measurement: '6 appointments',
          what: 'bigger account: worker peak RSS in the backfill / appointments mirrored per second',
          value: `${fmt.mb(run.peakKb)} / ${fmt.int(disk.rows / (run.sync.wallMs / 1000))}`,
          target: '',
          pass: undefined,
        },
        {
          measurement: '6 appointments',
          what: `bigger account: disk per million appointments, appointment tables / the whole database (${fmt.int(disk.rows)} mirrored)`,
          value: `${perMillion(disk.appointments + disk.backfillChunks)} / ${perMillion(disk.database)}`,
          target: '',
          pass: undefined,
        },
      ],
      notes: [
        `6 (bigger account): ${shape}, ${sizes.perStaffPerDay} slots per staff member and day (each booked with probability 2/3): ` +
          `${fmt.int(history)} appointments in the ${sizes.historyDays} days ${year.from}..${year.to} ` +
          `(${Math.round(history / locations / sizes.historyDays)} a location and day), backfilled at once in a fresh database by one ` +
          `worker process, with the budget, chunks and pages of the backfills above: ${describeBackfill(run)}; most requests in flight ` +
          `${run.sync.maxInFlight}; RSS when started ${fmt.mb(run.idleKb)}.`,
        `6 (where the bigger account's backfill went): ${whereTheTimeWent(run, budget.maxRps)}; the benchmark's own process ` +
          `(the simulator, answering) used ${fmt.ms(simulatorCpuMs)} of CPU meanwhile, on the same machine.`,
        `6 (bigger account, disk, right after the backfill, no VACUUM): appointments ${fmt.bytes(disk.appointments)} ` +
          `(table ${fmt.bytes(disk.table)}, indexes ${fmt.bytes(disk.indexes)}, TOAST and maps ${fmt.bytes(disk.appointments - disk.table - disk.indexes)}), ` +
          `backfill_chunks ${fmt.bytes(disk.backfillChunks)}, the database ${fmt.bytes(disk.database)} ` +
          `(pg_total_relation_size, pg_relation_size, pg_indexes_size, pg_database_size); per million appointments ` +
          `${perMillion(disk.appointments + disk.backfillChunks)} and ${perMillion(disk.database)}.`,
      ],
    };
  } finally {
    await sim.close();
  }
}

/** As (a) says it of the year's backfill: the rate, the requests in flight, a chunk's time, the CPU. */
function whereTheTimeWent(run: Backfill, maxRps: number): string {
  return (
    `${rate(run.sync)} requests/s of the budget's ${maxRps}, ${run.timeline.inFlight.toFixed(1)} in flight on average; ` +
    `a chunk took ${fmt.ms(run.timeline.readingMs)} from its first page's request to its last page's answer, then ` +
    `${fmt.ms(run.timeline.afterMs)} until it was recorded complete (its write and tombstone check); ` +
    `the worker process used ${cpu(run.cpuMs, run.sync.wallMs)}`
  );
}

async function diskUse(databaseUrl: string): Promise<DiskUse> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<Record<keyof DiskUse, string>>(
      `SELECT (SELECT count(*) FROM appointments) AS rows,
              pg_relation_size('appointments') AS table,
              pg_indexes_size('appointments') AS indexes,
              pg_total_relation_size('appointments') AS appointments,
              pg_total_relation_size('backfill_chunks') AS "backfillChunks",
              pg_database_size(current_database()) AS database`,
    );
    const row = rows[0];
    if (!row) throw new Error('no sizes');
    return {
      rows: Number(row.rows),
      table: Number(row.table),
      indexes: Number(row.indexes),
      appointments: Number(row.appointments),
      backfillChunks: Number(row.backfillChunks),
      database: Number(row.database),
    };
  } finally {
    await client.end();
  }
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}
