/**
 * Measurements 1 and 2: a full sync of the large account (its clients and rolling window of
 * appointments included) through one worker process, against the bound set by the API budget,
 * then the same sync again with nothing changed at the source; then both again through
 * `timetap-sync sync`, which runs the same plan of steps in its own process.
 *
 * The unchanged resync's writes are read from Postgres' own counters (`pg_stat_user_tables`),
 * not from the sync's report. On Postgres 15 a backend flushes its counters at most once a second
 * and when it exits, so the reading is taken after the worker process has exited (its pool's
 * backends with it) and re-read until it stops moving.
 */
import pg from 'pg';
import { MIRROR_TABLES } from '../src/db/index.js';
import { type Simulator, startSimulator } from '../src/simulator/index.js';
import { type BenchContext, type BenchSection, type Figure, fmt } from './figures.js';
import { runSyncCommand } from './sync-command.js';
import { apiBoundMs, createSyncHarness, type SyncMeasure } from './sync-harness.js';

export const TIME_TO_BOUND_TARGET = 1.15;

export async function measureApiBound(ctx: BenchContext): Promise<BenchSection> {
  const { sizes } = ctx;
  const budget = sizes.syncBudget;
  const sim = await startSimulator({ ...sizes.account, latencyMs: sizes.latencyMs });
  try {
    const worker = await measureWorker(ctx, sim);
    const command = await measureSyncCommand(ctx, sim);
    const appointments = sim.data.appointments.size;
    return {
      figures: [...figuresOf(ctx, '', worker), ...figuresOf(ctx, ' (sync command)', command)],
      notes: [
        `1-2: ${sim.data.locations.size} locations, ${sim.data.clients.size} clients, ${fmt.int(appointments)} appointments in the rolling window (30 days back, 90 ahead); ` +
          `budget TIMETAP_MAX_RPS=${budget.maxRps}, TIMETAP_MAX_CONCURRENCY=${budget.maxConcurrency}, simulator latency ${sizes.latencyMs} ms; ` +
          `bound = max(calls / ${budget.maxRps} per s, calls x ${sizes.latencyMs} ms / ${budget.maxConcurrency}). ` +
          "The worker: one process (WORKER_CONCURRENCY 4), timed from the enqueue to the job's end. " +
          "`timetap-sync sync`: its own process, timed by the run itself (the summary's durationMs), SYNC_LOCATION_CONCURRENCY 4. " +
          `Most requests in flight seen by the simulator: worker ${worker.first.maxInFlight} and ${worker.again.maxInFlight}, sync command ${command.first.maxInFlight} and ${command.again.maxInFlight}.`,
        `2: the first sync wrote ${fmt.int(worker.firstWrites.inserted)} inserts and ${fmt.int(worker.firstWrites.updated)} updates into the mirror tables (the same counters, for scale).`,
      ],
    };
  } finally {
    await sim.close();
  }
}

/** A first sync and an unchanged one, with the rows the second wrote. */
interface SyncPair {
  first: SyncMeasure;
  again: SyncMeasure;
  firstWrites: Writes;
  againWrites: Writes;
}

async function measureWorker(ctx: BenchContext, sim: Simulator): Promise<SyncPair> {
  const budget = ctx.sizes.syncBudget;
  const databaseUrl = await ctx.databases.create('api_bound');
  const harness = await createSyncHarness({ sim, databaseUrl, redisUrl: ctx.redisUrl, budget });
  try {
    await harness.startWorkers(1);
    ctx.log(
      `1: full sync of ${sim.data.locations.size} locations, budget ${budget.maxRps}/s x ${budget.maxConcurrency}`,
    );
    const first = await harness.runFullSync();
    await harness.stopWorkers();
    const before = await settledWrites(databaseUrl);

    await harness.startWorkers(1);
    ctx.log('2: unchanged resync');
    const again = await harness.runFullSync();
    await harness.stopWorkers();
    return {
      first,
      again,
      firstWrites: before,
      againWrites: since(before, await settledWrites(databaseUrl)),
    };
  } finally {
    await harness.close();
  }
}

async function measureSyncCommand(ctx: BenchContext, sim: Simulator): Promise<SyncPair> {
  const budget = ctx.sizes.syncBudget;
  const databaseUrl = await ctx.databases.create('api_bound_cli');
  ctx.log('1: the same full sync through `timetap-sync sync`');
  const first = await runSyncCommand({ sim, databaseUrl, budget });
  const before = await settledWrites(databaseUrl);
  ctx.log('2: the unchanged resync through `timetap-sync sync`');
  const again = await runSyncCommand({ sim, databaseUrl, budget });
  return { first, again, firstWrites: before, againWrites: since(before, await settledWrites(databaseUrl)) };
}

function figuresOf(ctx: BenchContext, how: string, pair: SyncPair): Figure[] {
  const timeFigure = (measurement: string, sync: SyncMeasure): Figure => {
    const bound = apiBoundMs(sync.apiCalls, ctx.sizes.syncBudget, ctx.sizes.latencyMs);
    const ratio = sync.wallMs / bound;
    return {
      measurement,
      what: `time / API bound (${fmt.int(sync.apiCalls)} calls, ${fmt.ms(sync.wallMs)} vs ${fmt.ms(bound)}; run ${sync.status})`,
      value: fmt.ratio(ratio),
      target: `<= ${TIME_TO_BOUND_TARGET}`,
      pass: ratio <= TIME_TO_BOUND_TARGET && sync.status === 'succeeded',
    };
  };
  return [
    timeFigure(`1 full sync${how}`, pair.first),
    {
      measurement: `2 unchanged resync${how}`,
      what: 'mirror rows inserted / updated / deleted (pg_stat_user_tables)',
      value: `${pair.againWrites.inserted} / ${pair.againWrites.updated} / ${pair.againWrites.deleted}`,
      target: '0 / 0 / 0',
      pass:
        pair.againWrites.inserted === 0 && pair.againWrites.updated === 0 && pair.againWrites.deleted === 0,
    },
    timeFigure(`2 unchanged resync${how}`, pair.again),
  ];
}

function since(before: Writes, after: Writes): Writes {
  return {
    inserted: after.inserted - before.inserted,
    updated: after.updated - before.updated,
    deleted: after.deleted - before.deleted,
  };
}

interface Writes {
  inserted: number;
  updated: number;
  deleted: number;
}

/** The mirror tables' cumulative write counters, re-read until two readings agree. */
async function settledWrites(databaseUrl: string): Promise<Writes> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    let last: Writes | undefined;
    for (let attempt = 0; attempt < 20; attempt += 1) {
      // A fresh snapshot each time (the default stats_fetch_consistency caches within a transaction).
      await client.query('SELECT pg_stat_clear_snapshot()');
      const { rows } = await client.query<{ ins: string; upd: string; del: string }>(
        `SELECT coalesce(sum(n_tup_ins), 0) AS ins, coalesce(sum(n_tup_upd), 0) AS upd, coalesce(sum(n_tup_del), 0) AS del
         FROM pg_stat_user_tables WHERE relname = ANY($1)`,
        [MIRROR_TABLES],
      );
      const row = rows[0];
      const now = { inserted: Number(row?.ins), updated: Number(row?.upd), deleted: Number(row?.del) };
      if (
        last &&
        now.inserted === last.inserted &&
        now.updated === last.updated &&
        now.deleted === last.deleted
      ) {
        return now;
      }
      last = now;
      await new Promise((resolve) => setTimeout(resolve, 600));
    }
    return last as Writes;
  } finally {
    await client.end();
  }
}
