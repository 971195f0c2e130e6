/**
 * ONE request budget towards TimeTap for every worker process: at most `maxRps` request starts
 * per second and at most `maxConcurrency` requests in flight, fleet-wide.
 *
 * One Lua script grants a slot atomically against both limits, on Redis' clock (`TIME`), so
 * processes with skewed clocks agree:
 * - rate: starts are spaced evenly, `1/maxRps` apart (a token bucket of depth one, like the local
 *   limiter). Any two grants are at least that far apart, so no window [t, t+1s) ever holds more
 *   than ceil(maxRps) grants: exact, with no burst to average out. A grant is a reserved start
 *   time (a slot) on that schedule, at most a short horizon ahead: the caller sleeps until its slot
 *   and starts then. Granting only "now" would let each start slip by the waiter's wake-up delay
 *   (a timer tick, a round trip), and the slips add up: about a millisecond per start cost 10%
 *   of a 100/s budget. The horizon (one interval, at least MIN_HORIZON_MS) absorbs that delay.
 *   A reserved slot holds its lease (below) from the grant on.
 * - concurrency: a sorted set of leases scored by their expiry. A finished request removes its
 *   lease (ZREM); a live one renews it every `leaseMs/3`; a killed process's leases simply expire
 *   after `leaseMs`, so a crash never shrinks the budget for good.
 * The script answers a grant (0 or less: minus the µs until the slot) or how many ms to wait
 * (above 0); the caller sleeps that long and asks again. Waiters are not served in order (whoever asks first after a slot frees wins): a fair
 * queue would need a server-side queue that outlives dead processes, which buys little here.
 *
 * `audit: true` records every grant's Redis time (µs) in a capped list, `<key>:audit`, so a
 * benchmark can prove the budget held across processes (see limiter-audit.ts).
 *
 * `adaptive`: the rate is learned (AIMD, timetap/aimd.ts) in the hash `<key>:adaptive`
 * (adaptive-rate.ts), which the same script reads for the spacing and for a 429's pause of the
 * whole fleet. Without it the budget is the fixed `maxRps`, and the hash is never touched.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { AimdSettings } from '../timetap/aimd.js';
import { FIXED_SLOT, type LimiterSlot, type RequestLimiter } from '../timetap/limiter.js';
import { ADAPTIVE_TTL_MS, createAdaptiveRateStore, LUA_RATE } from './adaptive-rate.js';
import { defineScript } from './script.js';

export interface RedisLimiterOptions {
  /** Base key, e.g. `<prefix>:timetap:budget`; uses `<key>:rate`, `<key>:leases`, `<key>:audit`. */
  key: string;
  maxRps: number;
  maxConcurrency: number;
  /** How long a slot stays taken if its process dies (live holders renew it). Default 60 s. */
  leaseMs?: number;
  /** Record each grant's time in `<key>:audit` (capped at `auditMaxEntries`, default 100,000). */
  audit?: boolean;
  auditMaxEntries?: number;
  /** Longest sleep between two attempts while the concurrency limit is reached. Default 50 ms. */
  pollMs?: number;
  /** Learn the rate (starting at `adaptive.initialRps`) instead of holding `maxRps`. */
  adaptive?: AimdSettings;
  /** Told the rate each time this process learns it (for the metrics gauge). */
  onRate?: (rps: number) => void;
  /** Told each time a 429 seen by this process cut the shared rate (the others' 429s cut in vain). */
  onCut?: (cut: { rps: number; retryAfterMs: number | undefined }) => void;
}

export interface RedisLimiter extends RequestLimiter {
  /** Total time callers of this instance spent waiting for a slot. */
  stats(): { waitMs: number };
  /** The rate the budget allows now, as stored in Redis (`maxRps` for a fixed budget). */
  readRps(): Promise<number>;
}

/** The Redis keys a limiter uses; exported for the audit reader and for tests. */
export function limiterKeys(key: string) {
  return {
    rate: `${key}:rate`,
    leases: `${key}:leases`,
    audit: `${key}:audit`,
    adaptive: `${key}:adaptive`,
  };
}

/** A process reports successes to Redis at most this often: increases happen once a second anyway. */
const SUCCESS_REPORT_MS = 200;

// Times are µs since the epoch: about 1.8e15, exact in Lua's doubles (< 2^53); '%.0f' because
// tostring() would print them with 14 significant digits.
// Adaptive (ARGV[8] = 1): the interval comes from the learned rate in KEYS[4], a pause there
// holds every grant back, and a grant that had to wait for the rate marks the budget as in use.
const ACQUIRE = defineScript(`${LUA_RATE}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, maxConcurrency, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local horizon = math.max(interval, tonumber(ARGV[7]))
local adaptive = ARGV[8] == '1'
if adaptive then
  local paused = tonumber(redis.call('HGET', KEYS[4], 'pausedUntil') or '0')
  if paused > now then return math.max(1, math.ceil((paused - now) / 1000)) end
  interval = math.ceil(1000000 / learnedRate(KEYS[4], tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])))
  horizon = math.max(interval, tonumber(ARGV[7]))
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%.0f', now))
if redis.call('ZCARD', KEYS[2]) >= maxConcurrency then
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  local untilExpiry = math.ceil((tonumber(first[2]) - now) / 1000)
  return math.max(1, math.min(tonumber(ARGV[6]), untilExpiry))
end
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
if adaptive and slot > now then
  redis.call('HSET', KEYS[4], 'limitedAt', string.format('%.0f', now))
  redis.call('PEXPIRE', KEYS[4], ARGV[12])
end
if slot - now > horizon then return math.max(1, math.ceil((slot - now - horizon) / 1000)) end
redis.call('SET', KEYS[1], string.format('%.0f', slot + interval), 'PX', math.ceil((slot - now + interval) / 1000) + 1000)
redis.call('ZADD', KEYS[2], string.format('%.0f', slot + lease), ARGV[4])
redis.call('PEXPIRE', KEYS[2], math.ceil((slot - now + lease) / 1000) + 1000)
local auditMax = tonumber(ARGV[5])
if auditMax > 0 then
  redis.call('RPUSH', KEYS[3], string.format('%.0f', slot))
  redis.call('LTRIM', KEYS[3], -auditMax, -1)
end
return -(slot - now)`);

// XX: a lease that already expired (and may have been handed to someone else) is not revived.
const RENEW = defineScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local lease = tonumber(ARGV[2])
local changed = redis.call('ZADD', KEYS[1], 'XX', 'CH', string.format('%.0f', now + lease), ARGV[1])
if changed == 1 then redis.call('PEXPIRE', KEYS[1], math.ceil(lease / 1000) + 1000) end
return changed`);

/**
 * How far ahead a slot may be reserved, at least (one interval when that is longer). Long enough
 * that a process whose event loop is busy (a backfill parsing pages) still asks before its turn
 * has passed: a slot nobody had reserved when it came is lost to the budget. At 5 ms, bench 6's
 * backfill used 75-79 of its 100 requests a second, and each grant took about three asks.
 */
const MIN_HORIZON_MS = 50;

/** Sleeps never exceed this, so a changed budget or a freed slot is noticed within a second. */
const MAX_SLEEP_MS = 1_000;

export function createRedisLimiter(redis: Redis, options: RedisLimiterOptions): RedisLimiter {
  if (!(options.maxRps > 0) || !(options.maxConcurrency >= 1)) {
    throw new RangeError('createRedisLimiter needs maxRps > 0 and maxConcurrency >= 1');
  }
  const keys = limiterKeys(options.key);
  // Rounded up: spacing a hair wider than 1/maxRps can only keep the rate under the budget.
  const intervalUs = Math.ceil(1_000_000 / options.maxRps);
  const minHorizonUs = MIN_HORIZON_MS * 1000;
  const maxConcurrency = Math.floor(options.maxConcurrency);
  const leaseMs = options.leaseMs ?? 60_000;
  const auditMax = options.audit ? (options.auditMaxEntries ?? 100_000) : 0;
  const pollMs = options.pollMs ?? 50;
  const owner = `${process.pid}:${randomUUID().slice(0, 8)}`;
  let sequence = 0;
  let waitMs = 0;
  const { adaptive, onRate, onCut } = options;
  const learned = adaptive ? createAdaptiveRateStore(redis, keys.adaptive, adaptive) : undefined;
  const adaptiveArgs = adaptive
    ? [1, adaptive.initialRps, adaptive.floorRps, adaptive.ceilingRps, ADAPTIVE_TTL_MS]
    : [0];
  let lastSuccessReport = Number.NEGATIVE_INFINITY;
  const learnt = (rps: number) => {
    if (Number.isFinite(rps)) onRate?.(rps);
  };
  // Feedback never fails a request: Redis unreachable only means the rate is not learned meanwhile.
  const slotFor = (grantedAt: number): LimiterSlot => {
    if (!learned) return FIXED_SLOT;
    return {
      throttled(retryAfterMs) {
        learned
          .throttled(performance.now() - grantedAt, retryAfterMs)
          .then(({ rps, cut }) => {
            learnt(rps);
            if (cut) onCut?.({ rps, retryAfterMs });
          })
          .catch(() => undefined);
      },
      succeeded() {
        const now = performance.now();
        if (now - lastSuccessReport < SUCCESS_REPORT_MS) return;
        lastSuccessReport = now;
        learned
          .succeeded()
          .then(learnt)
          .catch(() => undefined);
      },
    };
  };

  /**
   * This process's waiters, asleep until they may ask again: a lease it frees wakes the longest
   * asleep at once, rather than at the end of its sleep (up to `pollMs` when the fleet's requests
   * in flight were at their limit). Leases freed by other processes are still polled for.
   */
  const asleep = new Set<() => void>();
  const nap = (ms: number, signal: AbortSignal | undefined): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const wake = () => {
        clearTimeout(timer);
        asleep.delete(wake);
        signal?.removeEventListener('abort', abort);
        resolve();
      };
      const abort = () => {
        clearTimeout(timer);
        asleep.delete(wake);
        reject(signal?.reason);
      };
      const timer = setTimeout(wake, ms);
      asleep.add(wake);
      signal?.addEventListener('abort', abort, { once: true });
    });

  const release = (member: string) => {
    // Not awaited: commands on one connection run in order, so this process's next acquire (the
    // waiter woken here, too) sees the slot free anyway; and if Redis is unreachable the lease
    // expires on its own.
    redis.zrem(keys.leases, member).catch(() => undefined);
    const first = asleep.values().next();
    if (!first.done) first.value();
  };

  async function acquire(member: string, signal: AbortSignal | undefined): Promise<void> {
    const args = [intervalUs, maxConcurrency, leaseMs * 1000, member, auditMax, pollMs, minHorizonUs];
    args.push(...adaptiveArgs);
    const scriptKeys = [keys.rate, keys.leases, keys.audit, keys.adaptive];
    for (;;) {
      signal?.throwIfAborted();
      const attempt = ACQUIRE.run(redis, scriptKeys, args).then(Number);
      // Abort promptly even while the script is in flight (a worker connection queues commands
      // while Redis is down); a grant that lands after the abort is handed back.
      const wait = await raceAbort(attempt, signal, (answer) => {
        if (answer <= 0) release(member);
      });
      if (wait <= 0) {
        // Granted: start at the slot, never before it (rounded up to whole ms, so never early).
        const untilSlotMs = Math.ceil(-wait / 1000);
        if (untilSlotMs > 0) {
          try {
            await sleep(untilSlotMs, undefined, { signal });
          } catch (error) {
            release(member);
            throw error;
          }
        }
        return;
      }
      // A little jitter so that processes woken for the same start do not collide every time.
      await nap(Math.min(wait, MAX_SLEEP_MS) + Math.random() * 2, signal);
    }
  }

  return {
    async run<T>(fn: (slot: LimiterSlot) => Promise<T>, signal?: AbortSignal): Promise<T> {
      signal?.throwIfAborted();
      sequence += 1;
      const member = `${owner}:${sequence}`;
      const queuedAt = performance.now();
      try {
        await acquire(member, signal);
      } catch (error) {
        // An aborted sleep rejects with an AbortError; callers expect the signal's own reason.
        throw signal?.aborted ? signal.reason : error;
      } finally {
        waitMs += performance.now() - queuedAt;
      }
      if (signal?.aborted) {
        release(member);
        throw signal.reason;
      }
      const renewal = setInterval(
        () => void RENEW.run(redis, [keys.leases], [member, leaseMs * 1000]).catch(() => undefined),
        Math.max(10, Math.floor(leaseMs / 3)),
      );
      renewal.unref();
      try {
        return await fn(slotFor(performance.now()));
      } finally {
        clearInterval(renewal);
        release(member);
      }
    },
    stats: () => ({ waitMs }),
    async readRps() {
      if (!adaptive) return options.maxRps;
      const stored = Number(await redis.hget(keys.adaptive, 'rps'));
      const rps = stored > 0 ? stored : adaptive.initialRps;
      return Math.min(adaptive.ceilingRps, Math.max(adaptive.floorRps, rps));
    },
  };
}

/** `work`'s outcome, or the signal's reason as soon as it aborts; `late` sees a result that lost. */
function raceAbort<T>(
  work: Promise<T>,
  signal: AbortSignal | undefined,
  late: (value: T) => void,
): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      work.then(late, () => undefined);
      reject(signal.reason);
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
