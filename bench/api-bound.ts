/**
 * Measurements 1 and 2: a full sync of the large account through one worker process, against the
 * bound set by the API budget, then the same sync again with nothing changed at the source.
 *
 * The unchanged resync's writes are read from Postgres' own counters (`pg_stat_user_tables`),
 * not from the sync's report. On Postgres 15 a backend flushes its counters at most once a second
 * and when it exits, so the reading is taken after the worker process has exited (its pool's
 * backends with it) and re-read until it stops moving.
 */
import pg from 'pg';
import { MIRROR_TABLES } from '../src/db/index.js';
import { startSimulator } from '../src/simulator/index.js';
import { type BenchContext, type BenchSection, fmt } from './figures.js';
import { apiBoundMs, createSyncHarness } from './sync-harness.js';

export const TIME_TO_BOUND_TARGET = 1.15;

export async function measureApiBound(ctx: BenchContext): Promise<BenchSection> {
  const { sizes } = ctx;
  const budget = sizes.syncBudget;
  const sim = await startSimulator({ ...sizes.account, latencyMs: sizes.latencyMs });
  const databaseUrl = await ctx.databases.create('api_bound');
  const harness = await createSyncHarness({ sim, databaseUrl, redisUrl: ctx.redisUrl, budget });
  try {
    await harness.startWorkers(1);
    ctx.log(
      `1: full sync of ${sim.data.locations.size} locations, budget ${budget.maxRps}/s x ${budget.maxConcurrency}`,
    );
    const first = await harness.runFullSync();
    await harness.stopWorkers();
    const firstBound = apiBoundMs(first.apiCalls, budget, sizes.latencyMs);
    const before = await settledWrites(databaseUrl);

    await harness.startWorkers(1);
    ctx.log('2: unchanged resync');
    const again = await harness.runFullSync();
    await harness.stopWorkers();
    const after = await settledWrites(databaseUrl);
    const againBound = apiBoundMs(again.apiCalls, budget, sizes.latencyMs);
    const delta = {
      inserted: after.inserted - before.inserted,
      updated: after.updated - before.updated,
      deleted: after.deleted - before.deleted,
    };
    const firstRatio = first.wallMs / firstBound;
    const againRatio = again.wallMs / againBound;
    return {
      figures: [
        {
          measurement: '1 full sync',
          what: `time / API bound (${fmt.int(first.apiCalls)} calls, ${fmt.ms(first.wallMs)} vs ${fmt.ms(firstBound)}; run ${first.status})`,
          value: fmt.ratio(firstRatio),
          target: `<= ${TIME_TO_BOUND_TARGET}`,
          pass: firstRatio <= TIME_TO_BOUND_TARGET && first.status === 'succeeded',
        },
        {
          measurement: '2 unchanged resync',
          what: 'mirror rows inserted / updated / deleted (pg_stat_user_tables)',
          value: `${delta.inserted} / ${delta.updated} / ${delta.deleted}`,
          target: '0 / 0 / 0',
          pass: delta.inserted === 0 && delta.updated === 0 && delta.deleted === 0,
        },
        {
          measurement: '2 unchanged resync',
          what: `time / API bound (${fmt.int(again.apiCalls)} calls, ${fmt.ms(again.wallMs)} vs ${fmt.ms(againBound)}; run ${again.status})`,
          value: fmt.ratio(againRatio),
          target: `<= ${TIME_TO_BOUND_TARGET}`,
          pass: againRatio <= TIME_TO_BOUND_TARGET && again.status === 'succeeded',
        },
      ],
      notes: [
        `1-2: one worker process (WORKER_CONCURRENCY 4), budget TIMETAP_MAX_RPS=${budget.maxRps}, ` +
          `TIMETAP_MAX_CONCURRENCY=${budget.maxConcurrency}, simulator latency ${sizes.latencyMs} ms; ` +
          `bound = max(calls / ${budget.maxRps} per s, calls x ${sizes.latencyMs} ms / ${budget.maxConcurrency}); ` +
          `most requests in flight seen by the simulator: ${first.maxInFlight} and ${again.maxInFlight}.`,
        `2: the first sync wrote ${fmt.int(before.inserted)} inserts and ${fmt.int(before.updated)} updates into the mirror tables (the same counters, for scale).`,
      ],
    };
  } finally {
    await harness.close();
    await sim.close();
  }
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
