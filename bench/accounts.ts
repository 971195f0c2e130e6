/**
 * Measurement 10 (issue 22): many TimeTap accounts in one mirror, synced by a few worker
 * processes sharing one queue (bench/account-fleet.ts).
 *
 * A: every account's full sync queued at once. The time until the last one finished, against the
 * API bound of the busiest account (its calls / its budget's rate: no schedule can be faster,
 * since each account's requests are spaced by its own budget); every account's rows against its
 * own simulator (their TimeTap ids are the same: the seeds differ, the id blocks do not); and the
 * most requests each simulator saw in any 1 s window against its account's budget, beside the
 * most its limiter granted (a request sent late by a busy worker bunches with the next one).
 * B: one account's full sync alone, then again while another account backfills its history: the
 * second time over the first. Both are resyncs of an account mirrored in A (the same calls; A's
 * first sync wrote the rows), so that the two times differ only by what runs beside them.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';
import { addDays, today } from '../src/dates.js';
import { maxGrantsInWindow } from '../src/redis/limiter-audit.js';
import { type Simulator, startSimulator } from '../src/simulator/index.js';
import {
  type AccountFleet,
  type AccountRun,
  createAccountFleet,
  type FleetAccount,
} from './account-fleet.js';
import { compareAccountMirror, type MirrorDifference } from './account-mirror.js';
import {
  type AccountFigures,
  busiestWindowStart,
  lateness,
  rateNote,
  sampleSlots,
  timelineNote,
} from './account-timelines.js';
import { type BenchContext, type BenchSection, type Figure, fmt } from './figures.js';
import type { AccountsSizes } from './sizes.js';
import { apiBoundMs } from './sync-harness.js';

export const ACCOUNTS_TARGET = 1.3;
/** A short rolling window (APPOINTMENTS_*): three chunks, so that a full sync is mostly the walk. */
const WINDOW = { pastDays: 7, futureDays: 7, chunkDays: 7 } as const;
/** Requests in flight per account (TIMETAP_MAX_CONCURRENCY): at 2.5/s the rate binds long before. */
const MAX_CONCURRENCY = 4;

interface Range {
  from: string;
  to: string;
}

export async function measureAccounts(ctx: BenchContext): Promise<BenchSection> {
  const sizes = ctx.sizes.accounts;
  const day = today();
  const window: Range = { from: addDays(day, -WINDOW.pastDays), to: addDays(day, WINDOW.futureDays) };
  const history: Range = {
    from: addDays(window.from, -sizes.backfill.historyDays),
    to: addDays(window.from, -1),
  };
  const accounts: FleetAccount[] = [];
  try {
    for (let i = 0; i < sizes.accounts; i += 1) {
      // The second account has the history that part B backfills, and a larger budget to read it.
      const backfills = i === 1;
      const sim = await startSimulator({
        seed: 100 + i,
        locations: sizes.locations,
        today: day,
        latencyMs: ctx.sizes.latencyMs,
        appointments: backfills
          ? { from: history.from, to: window.to, perStaffPerDay: sizes.backfill.perStaffPerDay }
          : { ...window, perStaffPerDay: 1 },
      });
      const name = `acct-${String(i + 1).padStart(2, '0')}`;
      accounts.push({ name, sim, maxRps: backfills ? sizes.backfill.maxRps : sizes.maxRps });
    }
    const databaseUrl = await ctx.databases.create('accounts');
    const fleet = await createAccountFleet({
      accounts,
      databaseUrl,
      redisUrl: ctx.redisUrl,
      maxConcurrency: MAX_CONCURRENCY,
      env: {
        APPOINTMENTS_PAST_DAYS: String(WINDOW.pastDays),
        APPOINTMENTS_FUTURE_DAYS: String(WINDOW.futureDays),
        APPOINTMENTS_CHUNK_DAYS: String(WINDOW.chunkDays),
      },
    });
    try {
      await fleet.startWorkers(sizes.workers, sizes.workerConcurrency);
      const a = await partA(ctx, fleet, accounts, databaseUrl, window);
      const b = await partB(ctx, fleet, accounts, databaseUrl, history);
      await fleet.stopWorkers();
      return {
        figures: [...a.figures, ...b.figures],
        notes: [describeSetup(ctx, accounts, history), ...a.notes, ...b.notes],
      };
    } finally {
      await fleet.close();
    }
  } finally {
    await Promise.all(accounts.map((a) => a.sim.close()));
  }
}

async function partA(
  ctx: BenchContext,
  fleet: AccountFleet,
  accounts: FleetAccount[],
  databaseUrl: string,
  window: Range,
): Promise<BenchSection> {
  const sizes = ctx.sizes.accounts;
  await fleet.clearAudits();
  for (const a of accounts) a.sim.resetCalls();
  ctx.log(`10: ${accounts.length} accounts' full syncs at once on ${sizes.workers} worker processes`);
  const cpuBefore = {
    workers: fleet.workersCpuMs(),
    redis: await fleet.redisCpuMs(),
    own: process.cpuUsage(),
  };
  const startedAt = Date.now();
  const slots = sampleSlots(fleet);
  // The simulators answer in this process: a stall here bunches their arrivals, whatever the workers did.
  const stalls = monitorEventLoopDelay({ resolution: 10 });
  stalls.enable();
  const runs = await fleet.runFullSyncs(accounts.map((a) => a.name)).finally(() => {
    slots.stop();
    stalls.disable();
  });
  const wallMs = Math.max(...runs.map((r) => r.finishedAt)) - startedAt;
  const own = process.cpuUsage(cpuBefore.own);
  const cpu = {
    workers: fleet.workersCpuMs() - cpuBefore.workers,
    redis: (await fleet.redisCpuMs()) - cpuBefore.redis,
    own: (own.user + own.system) / 1000,
  };
  const starts = await fleet.starts();
  const each: AccountFigures[] = [];
  for (const [i, a] of accounts.entries()) {
    const run = runs[i] as AccountRun;
    const calls = a.sim.calls;
    const grants = await fleet.auditTimes(a.name);
    const arrivals = calls.map((c) => c.startedAt).sort((x, y) => x - y);
    const late = lateness(arrivals, grants);
    each.push({
      account: a.name,
      run,
      calls: calls.length,
      boundMs: apiBoundMs(
        calls.length,
        { maxRps: a.maxRps, maxConcurrency: MAX_CONCURRENCY },
        ctx.sizes.latencyMs,
      ),
      firstCallAt: firstCallAt(a.sim),
      lastCallAt: Math.max(...calls.map((c) => c.finishedAt)),
      seenPerSecond: maxGrantsInWindow(
        calls.map((c) => c.startedAt * 1000),
        1_000_000,
      ),
      grantedPerSecond: maxGrantsInWindow(grants, 1_000_000),
      allowedPerSecond: Math.ceil(a.maxRps),
      ...late,
      busiestAt: busiestWindowStart(arrivals),
    });
  }
  const differences = await compareAll(databaseUrl, accounts, window);
  const busiest = each.reduce((x, y) => (y.boundMs > x.boundMs ? y : x));
  const ratio = wallMs / busiest.boundMs;
  const succeeded = runs.filter((r) => r.status === 'succeeded').length;
  const worstRate = each.reduce((x, y) =>
    y.seenPerSecond / y.allowedPerSecond > x.seenPerSecond / x.allowedPerSecond ? y : x,
  );
  const mostGranted = each.reduce((x, y) =>
    y.grantedPerSecond / y.allowedPerSecond > x.grantedPerSecond / x.allowedPerSecond ? y : x,
  );
  const overBudget = each.filter((e) => e.seenPerSecond > e.allowedPerSecond);
  const mirrored = accounts.length - differences.length;
  const scale = scaleNote(ctx, sizes);
  const figures: Figure[] = [
    {
      measurement: '10 accounts',
      what:
        `${accounts.length} accounts x ${sizes.locations} locations on ${sizes.workers} worker processes${scale}, every full sync queued at once: ` +
        `time for all / the busiest account's API bound (${busiest.account}: ${fmt.int(busiest.calls)} calls at ${fmt.num(accounts.find((a) => a.name === busiest.account)?.maxRps)}/s; ` +
        `${fmt.ms(wallMs)} vs ${fmt.ms(busiest.boundMs)}; ${succeeded} of ${runs.length} runs succeeded)`,
      value: fmt.ratio(ratio),
      target: `<= ${ACCOUNTS_TARGET}`,
      pass: ratio <= ACCOUNTS_TARGET && succeeded === runs.length,
    },
    {
      measurement: '10 accounts',
      what: "accounts whose rows equal their own simulator's (every table; the TimeTap ids are the same in every account)",
      value: `${mirrored} / ${accounts.length}`,
      target: `${accounts.length} / ${accounts.length}`,
      pass: differences.length === 0,
    },
    {
      measurement: '10 accounts',
      what:
        `most requests an account's simulator saw start in any 1 s window / its budget allows (ceil(maxRps); ` +
        `${worstRate.account}; accounts over: ${overBudget.length})`,
      value: `${worstRate.seenPerSecond} / ${worstRate.allowedPerSecond}`,
      target: '<= budget',
      pass: overBudget.length === 0,
    },
    {
      measurement: '10 accounts',
      what:
        "most grants an account's limiter made in any 1 s window (its audit, on the Redis clock) / " +
        'its budget allows: what the fleet asked for; the row above adds how late requests were sent',
      value: `${mostGranted.grantedPerSecond} / ${mostGranted.allowedPerSecond}`,
      target: '<= budget',
      pass: each.every((e) => e.grantedPerSecond <= e.allowedPerSecond),
    },
  ];
  return {
    figures,
    notes: [
      timelineNote(each, startedAt, wallMs),
      slots.describe(sizes.workers * sizes.workerConcurrency),
      `10 (A, CPU while all ran, in ${fmt.ms(wallMs)}): the ${sizes.workers} worker processes ${fmt.ms(cpu.workers)} ` +
        `(${Math.round((100 * cpu.workers) / wallMs)}% of one core), Redis ${fmt.ms(cpu.redis)}, this process (the simulators) ` +
        `${fmt.ms(cpu.own)}; ${starts.jobs} jobs ran, and were deferred ${starts.deferrals} times (fairness: each deferral ` +
        'is a start of the job, an admission, and its return to the queue as delayed).',
      rateNote(each, startedAt, stalls),
      ...differences.map(describeDifference),
    ],
  };
}

async function partB(
  ctx: BenchContext,
  fleet: AccountFleet,
  accounts: FleetAccount[],
  databaseUrl: string,
  history: Range,
): Promise<BenchSection> {
  const [synced, backfilling] = accounts as [FleetAccount, FleetAccount];
  ctx.log(`10: ${synced.name}'s full sync alone`);
  synced.sim.resetCalls();
  const [alone] = (await fleet.runFullSyncs([synced.name])) as [AccountRun];
  const aloneCalls = synced.sim.calls.length;
  const aloneStart = firstCallAt(synced.sim) - alone.enqueuedAt;

  ctx.log(
    `10: ${backfilling.name} backfills ${history.from}..${history.to}; ${synced.name}'s full sync again`,
  );
  backfilling.sim.resetCalls();
  synced.sim.resetCalls();
  await fleet.clearAudits();
  const backfill = await fleet.startBackfill(backfilling.name, history);
  // The backfill under way (its login and its first chunks' pages read) before the sync is queued.
  let finished = false;
  void backfill.done.then(
    () => (finished = true),
    () => (finished = true),
  );
  await waitFor(() => finished || backfilling.sim.calls.length >= 5, 30_000);
  const [shared] = (await fleet.runFullSyncs([synced.name])) as [AccountRun];
  const sharedCalls = synced.sim.calls.length;
  const sharedStart = firstCallAt(synced.sim) - shared.enqueuedAt;
  const backfilled = await backfill.done;
  const after = backfilled.finishedAt - shared.finishedAt;
  const overlapped = after > 0;
  const historyDifferences = await compareAll(databaseUrl, [backfilling], history);
  const backfillCalls = backfilling.sim.calls.length;
  const grants = maxGrantsInWindow(await fleet.auditTimes(backfilling.name), 1_000_000);
  const seen = maxGrantsInWindow(
    backfilling.sim.calls.map((c) => c.startedAt * 1000),
    1_000_000,
  );

  const aloneMs = alone.finishedAt - alone.enqueuedAt;
  const sharedMs = shared.finishedAt - shared.enqueuedAt;
  const ratio = sharedMs / aloneMs;
  const appointments = backfilling.sim.data.findAppointments(history).length;
  const chunks = typeof backfilled.result.chunks === 'number' ? backfilled.result.chunks : '?';
  return {
    figures: [
      {
        measurement: '10 accounts',
        what:
          `${synced.name}'s full sync while ${backfilling.name} backfills ${ctx.sizes.accounts.backfill.historyDays} days` +
          `${ctx.sizes.name === 'full' ? '' : ` (${ctx.sizes.name}: a shorter history than the issue's year)`}: ` +
          `time / time alone (${fmt.ms(sharedMs)} vs ${fmt.ms(aloneMs)}; ${sharedCalls} and ${aloneCalls} calls; ` +
          `runs ${shared.status}, ${alone.status}; the backfill ${overlapped ? 'still ran when it finished' : 'had finished before it'})`,
        value: fmt.ratio(ratio),
        target: `<= ${ACCOUNTS_TARGET}`,
        pass:
          ratio <= ACCOUNTS_TARGET &&
          overlapped &&
          shared.status === 'succeeded' &&
          alone.status === 'succeeded',
      },
      {
        measurement: '10 accounts',
        what: `${backfilling.name}'s backfill: appointments of its history mirrored exactly (${fmt.int(appointments)} in ${chunks} chunks; run ${backfilled.status})`,
        value: historyDifferences.length === 0 ? 'yes' : 'no',
        target: 'yes',
        pass: historyDifferences.length === 0 && backfilled.status === 'succeeded',
      },
    ],
    notes: [
      `10 (B): ${synced.name}'s resync alone took ${fmt.ms(aloneMs)} (its first request ${aloneStart} ms after its enqueue), ` +
        `then ${fmt.ms(sharedMs)} (first request after ${sharedStart} ms) while ${backfilling.name}'s backfill ` +
        `(${fmt.int(backfillCalls)} calls at ${fmt.num(backfilling.maxRps)}/s, ${fmt.ms(backfilled.finishedAt - backfilled.enqueuedAt)} in all) ` +
        `ran; the sync was queued ${shared.enqueuedAt - backfilled.enqueuedAt} ms after the backfill, which finished ` +
        `${after >= 0 ? `${after} ms after` : `${-after} ms before`} it. The backfilling account's busiest second: ` +
        `${seen} requests at its simulator, ${grants} grants (budget ${fmt.num(backfilling.maxRps)}/s).`,
      ...historyDifferences.map(describeDifference),
    ],
  };
}

async function compareAll(
  databaseUrl: string,
  accounts: readonly FleetAccount[],
  range: Range,
): Promise<MirrorDifference[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const found: MirrorDifference[] = [];
    for (const a of accounts) {
      const difference = await compareAccountMirror(client, a.name, a.sim, range);
      if (difference) found.push(difference);
    }
    return found;
  } finally {
    await client.end();
  }
}

function describeSetup(ctx: BenchContext, accounts: readonly FleetAccount[], history: Range): string {
  const sizes = ctx.sizes.accounts;
  const [first, second] = accounts as [FleetAccount, FleetAccount];
  const ids = (sim: Simulator) => [...sim.data.locations.keys()].join(',');
  const same = accounts.every((a) => ids(a.sim) === ids(first.sim));
  const name = (sim: Simulator) => JSON.stringify(sim.data.snapshot().locations[0]);
  return (
    `10: ${accounts.length} accounts, each a simulator of its own (seed 100 + n, ${sizes.locations} locations, ` +
    `${first.sim.data.clients.size} clients, one appointment slot per staff member and day over the window), ` +
    `listed in one TIMETAP_ACCOUNTS_FILE; TimeTap ids ${same ? 'the same in every account' : 'NOT the same in every account'} ` +
    `(locations ${ids(first.sim)}), content ${name(first.sim) === name(second.sim) ? 'NOT different' : 'different'}. ` +
    `Budget ${fmt.num(sizes.maxRps)} requests/s and ${MAX_CONCURRENCY} in flight per account (${second.name}: ` +
    `${fmt.num(sizes.backfill.maxRps)}/s, with ${sizes.backfill.perStaffPerDay} slots a staff member and day over ` +
    `${history.from}..${history.to} for part B); simulator latency ${ctx.sizes.latencyMs} ms; ` +
    `${sizes.workers} worker processes, WORKER_CONCURRENCY ${sizes.workerConcurrency} each (${sizes.workers * sizes.workerConcurrency} slots, ` +
    `so an account's even share is ceil(${sizes.workers * sizes.workerConcurrency} / ${accounts.length}) = ` +
    `${Math.ceil((sizes.workers * sizes.workerConcurrency) / accounts.length)}); rolling window ${WINDOW.pastDays} days back and ` +
    `${WINDOW.futureDays} ahead, chunks of ${WINDOW.chunkDays}. An account's bound = max(calls / maxRps, calls x latency / in flight).`
  );
}

function scaleNote(ctx: BenchContext, sizes: AccountsSizes): string {
  return ctx.sizes.name === 'full'
    ? ''
    : ` (${ctx.sizes.name}: ${sizes.accounts} accounts, not the issue's 50)`;
}

function describeDifference(d: MirrorDifference): string {
  return `10: ${d.account}'s mirror differs from its simulator in ${d.table}: ${d.detail}.`;
}

function firstCallAt(sim: Simulator): number {
  return Math.min(...sim.calls.map((c) => c.startedAt));
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`not so within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
