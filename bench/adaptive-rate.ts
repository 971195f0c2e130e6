/**
 * Measurement 8: the learned request rate (issue 15). Two worker processes run one full sync
 * against a simulator that hides a rate limit of 12 requests/s (a token bucket answering 429 with
 * Retry-After beyond it), starting from TIMETAP_MAX_RPS's default guess of 5/s with TIMETAP_ADAPTIVE_RATE
 * on and the default law (AIMD, src/timetap/aimd.ts). Part-way through the sync the hidden limit
 * drops to 4/s. Figures: the rate the simulator answered (non-429) over the steady part before the
 * drop, against the hidden limit, with the share of 429s in it; how long the learned rate (the
 * Redis hash every process reads) took to fall below the new limit; and that the sync succeeded.
 *
 * Its sizes live here rather than in sizes.ts: only the account and the times scale.
 */
import { Redis } from 'ioredis';
import { limiterKeys } from '../src/redis/limiter.js';
import { type ShapeOptions, startSimulator } from '../src/simulator/index.js';
import { type BenchContext, type BenchSection, fmt } from './figures.js';
import type { Budget, SizeName } from './sizes.js';
import { createSyncHarness } from './sync-harness.js';

const HIDDEN_RPS = 12;
const DROPPED_RPS = 4;
const BUDGET: Budget = { maxRps: 5, maxConcurrency: 8 };
const PROCESSES = 2;

interface Plan {
  /** Enough calls to keep the budget busy past the drop (about 32 per location). */
  account: ShapeOptions;
  /** The steady window is [steadyFromMs, dropAtMs) after the enqueue: learning comes first. */
  steadyFromMs: number;
  dropAtMs: number;
}

const account = (locations: number): ShapeOptions => ({
  seed: 8,
  locations,
  staff: locations * 6,
  services: 200,
  staffPerLocation: 30,
  servicesPerLocation: 40,
  servicesPerStaff: 12,
  appointments: false,
});

const PLANS: Record<SizeName, Plan> = {
  full: { account: account(40), steadyFromMs: 30_000, dropAtMs: 90_000 },
  quick: { account: account(20), steadyFromMs: 25_000, dropAtMs: 55_000 },
  smoke: { account: account(2), steadyFromMs: 3_000, dropAtMs: 6_000 },
};

export async function measureAdaptiveRate(ctx: BenchContext): Promise<BenchSection> {
  const plan = PLANS[ctx.sizes.name];
  const sim = await startSimulator({
    ...plan.account,
    latencyMs: ctx.sizes.latencyMs,
    hiddenRateLimit: HIDDEN_RPS,
  });
  const databaseUrl = await ctx.databases.create('adaptive_rate');
  const harness = await createSyncHarness({
    sim,
    databaseUrl,
    redisUrl: ctx.redisUrl,
    budget: BUDGET,
    env: { TIMETAP_ADAPTIVE_RATE: 'true' },
  });
  const redis = new Redis(ctx.redisUrl, { maxRetriesPerRequest: null });
  const learnedKey = limiterKeys(`${harness.prefix}:timetap:budget`).adaptive;
  try {
    await harness.startWorkers(PROCESSES);
    ctx.log(`8: adaptive rate, ${PROCESSES} worker processes, hidden limit ${HIDDEN_RPS}/s`);
    const syncing = harness.runFullSync();
    const began = Date.now();
    const samples: Array<{ atMs: number; rps: number }> = [];
    let dropped: number | undefined;
    let belowAfterMs: number | undefined;
    let done = false;
    const finish = () => {
      done = true;
    };
    // Awaited below, after the drop; meanwhile the learned rate is sampled.
    void syncing.then(finish, finish);
    while (!done) {
      const atMs = Date.now() - began;
      if (dropped === undefined && atMs >= plan.dropAtMs) {
        sim.setHiddenRateLimit(DROPPED_RPS);
        dropped = Date.now();
        ctx.log(`8: hidden limit dropped to ${DROPPED_RPS}/s`);
      }
      const rps = Number(await redis.hget(learnedKey, 'rps'));
      if (rps > 0) samples.push({ atMs, rps });
      if (dropped !== undefined && belowAfterMs === undefined && rps > 0 && rps < DROPPED_RPS) {
        belowAfterMs = Date.now() - dropped;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const sync = await syncing;
    const calls = sim.calls;
    const steady = calls.filter((c) => {
      const atMs = c.startedAt - began;
      return atMs >= plan.steadyFromMs && atMs < plan.dropAtMs;
    });
    const windowS = (Math.min(plan.dropAtMs, sync.wallMs) - plan.steadyFromMs) / 1000;
    const answered = steady.filter((c) => c.status !== 429 && c.status !== 0).length;
    const limited = steady.filter((c) => c.status === 429).length;
    const rate = answered / windowS;
    const share = steady.length === 0 ? 1 : limited / steady.length;
    const allLimited = calls.filter((c) => c.status === 429).length;
    const before = samples.filter((s) => s.atMs >= plan.steadyFromMs && s.atMs < plan.dropAtMs);
    // Slow start's work: how soon the guess was left for most of the hidden limit.
    const learnedAtMs = samples.find((s) => s.rps >= 0.85 * HIDDEN_RPS)?.atMs;
    const range = (list: typeof samples) =>
      list.length === 0
        ? 'n/a'
        : `${Math.min(...list.map((s) => s.rps)).toFixed(1)}-${Math.max(...list.map((s) => s.rps)).toFixed(1)}/s`;
    await harness.stopWorkers();
    return {
      figures: [
        {
          measurement: '8 adaptive rate',
          what: `answered rate before the drop / hidden limit ${HIDDEN_RPS}/s (${fmt.int(answered)} calls in ${windowS.toFixed(0)} s)`,
          value: `${rate.toFixed(1)}/s = ${Math.round((rate / HIDDEN_RPS) * 100)}%`,
          target: '>= 85%',
          pass: rate >= 0.85 * HIDDEN_RPS,
        },
        {
          measurement: '8 adaptive rate',
          what: `429s among the calls of that window (${fmt.int(limited)} of ${fmt.int(steady.length)})`,
          value: `${(share * 100).toFixed(1)}%`,
          target: '<= 2%',
          pass: share <= 0.02,
        },
        {
          measurement: '8 adaptive rate',
          what: `learned rate below the hidden limit once dropped to ${DROPPED_RPS}/s, after`,
          value: belowAfterMs === undefined ? 'never' : fmt.ms(belowAfterMs),
          target: '<= 10 s',
          pass: belowAfterMs !== undefined && belowAfterMs <= 10_000,
        },
        {
          measurement: '8 adaptive rate',
          what: `the full sync through ${PROCESSES} worker processes (${fmt.int(sync.apiCalls)} calls, ${fmt.int(allLimited)} of them 429)`,
          value: sync.status,
          target: 'succeeded',
          pass: sync.status === 'succeeded',
        },
      ],
      notes: [
        `8: ${plan.account.locations} locations (30 staff, 40 services each); ${PROCESSES} worker processes, ` +
          `TIMETAP_ADAPTIVE_RATE=true from TIMETAP_MAX_RPS=${BUDGET.maxRps} (ceiling ${BUDGET.maxRps * 4}/s, default law), ` +
          `TIMETAP_MAX_CONCURRENCY=${BUDGET.maxConcurrency}, simulator latency ${ctx.sizes.latencyMs} ms; hidden limit ${HIDDEN_RPS}/s, ` +
          `${DROPPED_RPS}/s from ${plan.dropAtMs / 1000} s; steady window from ${plan.steadyFromMs / 1000} s; ` +
          `learned rate first at 85% of the hidden limit ${learnedAtMs === undefined ? 'never' : `after ${fmt.ms(learnedAtMs)}`}; ` +
          `learned rate in it ${range(before)}, after the drop ${range(samples.filter((s) => dropped !== undefined && s.atMs >= dropped - began))}; ` +
          `sync ${fmt.ms(sync.wallMs)}.`,
      ],
    };
  } finally {
    redis.disconnect();
    await harness.close();
    await sim.close();
  }
}
