/**
 * Measurement 5: the same full sync with one worker process, then two, under a shared budget
 * that one process cannot fill (each takes one job at a time, so it is bound by latency, not by
 * the budget). The limiter's audit (every grant's time on the Redis clock) proves the two
 * processes together never started more than the budget's requests in any one-second window, and
 * the simulator's own count proves they never had more in flight than allowed.
 */
import { maxGrantsInWindow, minGrantGapUs } from '../src/redis/limiter-audit.js';
import { startSimulator } from '../src/simulator/index.js';
import { type BenchContext, type BenchSection, fmt } from './figures.js';
import { describe } from './memory.js';
import { createSyncHarness, type SyncMeasure } from './sync-harness.js';

interface Trial extends SyncMeasure {
  busiestSecond: number;
  minGapUs: number;
  grants: number;
}

export async function measureScaleOut(ctx: BenchContext): Promise<BenchSection> {
  const { account, budget, workerConcurrency } = ctx.sizes.scaleOut;
  const one = await trial(ctx, 1);
  const two = await trial(ctx, 2);
  const ratio = two.wallMs / one.wallMs;
  const busiest = Math.max(one.busiestSecond, two.busiestSecond);
  const inFlight = Math.max(one.maxInFlight, two.maxInFlight);
  const allowedPerSecond = Math.ceil(budget.maxRps);
  const held = busiest <= allowedPerSecond && inFlight <= budget.maxConcurrency;
  return {
    figures: [
      {
        measurement: '5 scale-out',
        what: `time with 2 worker processes / with 1 (${fmt.ms(two.wallMs)} vs ${fmt.ms(one.wallMs)}; ${fmt.int(one.apiCalls)} calls)`,
        value: fmt.ratio(ratio),
        target: '< 0.75',
        pass: ratio < 0.75 && one.status === 'succeeded' && two.status === 'succeeded',
      },
      {
        measurement: '5 scale-out',
        what: `shared budget: most grants in any 1 s window / most requests in flight (audit of ${fmt.int(one.grants + two.grants)} grants)`,
        value: `${busiest} / ${inFlight}`,
        target: `<= ${allowedPerSecond} / <= ${budget.maxConcurrency}`,
        pass: held,
      },
    ],
    notes: [
      `5: ${describe(account)}; each process WORKER_CONCURRENCY=${workerConcurrency}; shared TIMETAP_MAX_RPS=${budget.maxRps}, ` +
        `TIMETAP_MAX_CONCURRENCY=${budget.maxConcurrency}; rate reached ${rate(one)} and ${rate(two)} requests/s; ` +
        `shortest gap between two grants ${(Math.min(one.minGapUs, two.minGapUs) / 1000).toFixed(2)} ms ` +
        `(spacing ${(1000 / budget.maxRps).toFixed(2)} ms). Audit: TIMETAP_LIMITER_AUDIT=true (grant times on the Redis clock).`,
    ],
  };
}

function rate(t: Trial): string {
  return fmt.int(t.apiCalls / (t.wallMs / 1000));
}

async function trial(ctx: BenchContext, processes: number): Promise<Trial> {
  const { account, budget, workerConcurrency } = ctx.sizes.scaleOut;
  const sim = await startSimulator({ ...account, latencyMs: ctx.sizes.latencyMs });
  const databaseUrl = await ctx.databases.create(`scale_${processes}`);
  const harness = await createSyncHarness({
    sim,
    databaseUrl,
    redisUrl: ctx.redisUrl,
    budget,
    workerConcurrency,
  });
  try {
    await harness.startWorkers(processes);
    ctx.log(`5: scale-out, ${processes} worker process(es), ${sim.data.locations.size} locations`);
    const sync = await harness.runFullSync();
    const times = await harness.auditTimes();
    await harness.stopWorkers();
    return {
      ...sync,
      grants: times.length,
      busiestSecond: maxGrantsInWindow(times, 1_000_000),
      minGapUs: minGrantGapUs(times),
    };
  } finally {
    await harness.close();
    await sim.close();
  }
}
