/**
 * The shared budget learning a rate limit TimeTap does not publish: two "processes" (each a
 * limiter on its own Redis connection, with a client of its own) call the simulator, which hides a
 * token-bucket limit and answers 429 with Retry-After beyond it. Then the same with
 * TIMETAP_ADAPTIVE_RATE=false, through the worker's own wiring: the fixed budget, as before.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { budgetKey, createSharedTimeTap } from '../../src/queue/shared-timetap.js';
import { createRedactor } from '../../src/redact.js';
import { createRedisLimiter, limiterKeys, type RedisLimiterOptions } from '../../src/redis/limiter.js';
import { maxGrantsInWindow, readLimiterAudit } from '../../src/redis/limiter-audit.js';
import type { Simulator } from '../../src/simulator/index.js';
import { type AimdSettings, aimdSettings } from '../../src/timetap/aimd.js';
import { createTimeTapApi, type TimeTapApi } from '../../src/timetap/index.js';
import { soleAccount } from '../helpers/account.js';
import { useTestRedis } from '../helpers/redis.js';
import { simulatorEnv, testTimeTapConfig } from '../helpers/sync.js';
import { useSimulator } from '../helpers/use-simulator.js';

const { connect, newKey } = useTestRedis('redis-adaptive-limiter');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const silent = () => createLogger({ level: 'silent', redactor: createRedactor() });

let sim: Simulator;
let locationId: number;

useSimulator({ locations: 2 }, (started) => {
  sim = started;
  locationId = [...sim.data.locations.keys()][0] as number;
});

/** `callers` loops per client, each calling TimeTap back to back, until `stop` is set. */
function keepBusy(clients: TimeTapApi[], callers: number) {
  let stopped = false;
  let failures = 0;
  const loops = clients.flatMap((api) =>
    Array.from({ length: callers }, async () => {
      while (!stopped) await api.getLocation(locationId).catch(() => (failures += 1));
    }),
  );
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return failures;
    },
  };
}

/** What the simulator answered between two of its times: data calls answered 200, and 429s. */
function answered(fromMs: number, toMs: number) {
  const calls = sim.calls.filter((c) => c.startedAt >= fromMs && c.startedAt < toMs);
  const ok = calls.filter((c) => c.status === 200 && c.path !== '/sessionToken').length;
  const limited = calls.filter((c) => c.status === 429).length;
  return { ok, limited, all: calls.length, okPerSecond: ok / ((toMs - fromMs) / 1000) };
}

/**
 * Two "processes" on one shared budget at `key`: each a Redis limiter on its own connection and a
 * TimeTap client of its own, retrying 429s (Retry-After capped at 2 s).
 */
function twoProcesses(
  key: string,
  law: AimdSettings,
  hooks: Pick<RedisLimiterOptions, 'onRate' | 'onCut'> = {},
) {
  return [0, 1].map(() => {
    const limiter = createRedisLimiter(connect(), {
      key,
      maxRps: law.initialRps,
      maxConcurrency: 8,
      adaptive: law,
      ...hooks,
    });
    const api = createTimeTapApi({
      config: testTimeTapConfig(sim, {
        maxRps: law.initialRps,
        retries: 10,
        retryMaxTimeMs: 60_000,
        retryAfterCapMs: 2_000,
      }),
      logger: silent(),
      redactor: createRedactor(),
      limiter,
      backoff: { minTimeoutMs: 20, maxTimeoutMs: 200 },
    });
    return { limiter, client: api };
  });
}

/** A fresh call log, a hidden limit of `rps`, and three callers per process kept busy. */
function busyUnderHiddenLimit(processes: ReturnType<typeof twoProcesses>, rps: number) {
  sim.resetCalls();
  sim.setHiddenRateLimit(rps);
  return {
    began: Date.now(),
    load: keepBusy(
      processes.map((p) => p.client),
      3,
    ),
  };
}

describe('the adaptive shared budget against a hidden limit', () => {
  it('two processes learn most of a hidden 10/s with few 429s, and fall below it within seconds when it drops to 4/s', async () => {
    const key = newKey('timetap:budget');
    // Starts at 8/s, a guess below the hidden 10/s; steps of 0.25/s every half second.
    const law = aimdSettings({
      initialRps: 8,
      floorRps: 0.5,
      ceilingRps: 40,
      increaseRps: 0.25,
      intervalMs: 500,
    });
    const rates: number[] = [];
    let cuts = 0;
    const processes = twoProcesses(key, law, {
      onRate: (rps) => rates.push(rps),
      onCut: () => {
        cuts += 1;
      },
    });
    const { began, load } = busyUnderHiddenLimit(processes, 10);
    try {
      await sleep(14_000);
      const learned = answered(began + 4_000, began + 14_000);

      sim.setHiddenRateLimit(4);
      const droppedAt = Date.now();
      let below: number | undefined;
      while (Date.now() - droppedAt < 10_000) {
        if ((await processes[0]!.limiter.readRps()) < 4) {
          below = Date.now() - droppedAt;
          break;
        }
        await sleep(50);
      }
      await sleep(4_000);
      const after = answered(Date.now() - 3_000, Date.now());
      expect(await load.stop()).toBe(0);
      console.info(
        `learned: ${learned.okPerSecond.toFixed(1)}/s of a hidden 10/s, ${learned.limited} 429s of ${learned.all} calls; ` +
          `after the drop to 4/s: rate below it after ${below} ms, ${after.okPerSecond.toFixed(1)}/s answered`,
      );
      // Most of the hidden limit is used once learned, at the price of few 429s.
      expect(learned.okPerSecond).toBeGreaterThanOrEqual(6.5);
      expect(learned.limited / learned.all).toBeLessThanOrEqual(0.1);
      expect(rates.some((rps) => rps > 8)).toBe(true);
      // Never more cuts than 429s: the 429s of requests granted before a cut do not cut again.
      expect(cuts).toBeGreaterThanOrEqual(3);
      expect(cuts).toBeLessThanOrEqual(sim.stats().rateLimited);
      // Lowered to 4/s: the shared rate follows within seconds, and the 429s stop mattering.
      expect(below).toBeDefined();
      expect(below).toBeLessThan(10_000);
      expect(after.okPerSecond).toBeGreaterThan(2);
      // The learned rate is in Redis for the next process (it survives a restart).
      const stored = Number(await connect().hget(limiterKeys(key).adaptive, 'rps'));
      expect(stored).toBeGreaterThan(0.5);
      expect(stored).toBeLessThan(6);
      const fresh = createRedisLimiter(connect(), { key, maxRps: 8, maxConcurrency: 8, adaptive: law });
      expect(await fresh.readRps()).toBe(stored);
      // ... for a month after its last change, not forever.
      expect(await connect().pttl(limiterKeys(key).adaptive)).toBeGreaterThan(29 * 24 * 60 * 60 * 1000);
    } finally {
      sim.setHiddenRateLimit(undefined);
    }
  }, 60_000);

  it('slow start: two processes starting from a guess of 2/s use most of a hidden 10/s within seconds', async () => {
    const key = newKey('timetap:budget');
    // The default law at twice its speed: steps of 2/40 per half second after the first 429.
    const law = aimdSettings({ initialRps: 2, floorRps: 0.5, ceilingRps: 40, intervalMs: 500 });
    const processes = twoProcesses(key, law);
    const { began, load } = busyUnderHiddenLimit(processes, 10);
    try {
      await sleep(10_000);
      const learned = answered(began + 4_000, began + 10_000);
      expect(await load.stop()).toBe(0);
      console.info(
        `slow start from 2/s: ${learned.okPerSecond.toFixed(1)}/s of a hidden 10/s in seconds 4-10, ${learned.limited} 429s of ${learned.all} calls`,
      );
      // Additive steps alone (2/40 per half second) would still be below 3/s here; the first
      // cuts and their Retry-After pauses (a second each) leave 6.3-7.2/s in this window.
      expect(learned.okPerSecond).toBeGreaterThanOrEqual(5);
      expect(learned.limited / learned.all).toBeLessThanOrEqual(0.1);
      // Slow start ended at the first 429: the fleet's hash says when it was cut.
      expect(await connect().hget(limiterKeys(key).adaptive, 'cutAt')).not.toBeNull();
    } finally {
      sim.setHiddenRateLimit(undefined);
    }
  }, 30_000);

  it('TIMETAP_ADAPTIVE_RATE=false: the worker wiring keeps the fixed budget, and never writes the learned rate', async () => {
    const prefix = newKey('queue');
    const processes = [0, 1].map(() => {
      const config = loadConfig(
        {
          ...simulatorEnv(sim, { TIMETAP_MAX_RPS: '8', TIMETAP_ADAPTIVE_RATE: 'false' }),
          REDIS_URL: 'redis://unused',
          QUEUE_PREFIX: prefix,
          TIMETAP_LIMITER_AUDIT: 'true',
        },
        ['timetap'],
      );
      const shared = createSharedTimeTap({
        redis: connect(),
        account: soleAccount(config),
        config,
        logger: silent(),
        redactor: createRedactor(),
      });
      return shared.createApi(new AbortController().signal);
    });
    sim.resetCalls();
    sim.setHiddenRateLimit(20);
    try {
      const load = keepBusy(processes, 3);
      await sleep(3_000);
      expect(await load.stop()).toBe(0);
      const grants = await readLimiterAudit(connect(), budgetKey({ keyPrefix: `${prefix}:timetap` }));
      expect(grants.length).toBeGreaterThan(15);
      expect(maxGrantsInWindow(grants)).toBeLessThanOrEqual(8);
      expect(sim.stats().rateLimited).toBe(0);
      expect(
        await connect().exists(limiterKeys(budgetKey({ keyPrefix: `${prefix}:timetap` })).adaptive),
      ).toBe(0);
    } finally {
      sim.setHiddenRateLimit(undefined);
    }
  });
});
