/**
 * The learned rate of the shared request budget, one Redis hash for every worker process
 * (`<key>:adaptive`), changed only by Lua scripts so that two processes never lose each other's
 * update. The law is a slow start, then AIMD, as in timetap/aimd.ts (which documents it and is
 * unit-tested with an injected clock); these scripts are its twin on Redis' clock (`TIME`, µs).
 *
 * Fields: `rps` (the rate now), `increasedAt`, `cutAt`, `pausedUntil` (a 429's Retry-After, for
 * every process), `limitedAt` (the last grant that had to wait for the rate: the budget is in use;
 * written by the acquire script), `throttles` (429s seen) and `lastThrottleAt`. The hash outlives
 * restarts, so a new worker starts at what the fleet learned; it expires a month after its last
 * change, so an abandoned prefix does not keep it forever.
 */
import type { Redis } from 'ioredis';
import type { AimdSettings } from '../timetap/aimd.js';
import { defineScript } from './script.js';

export const ADAPTIVE_TTL_MS = 30 * 24 * 60 * 60 * 1000;

// The rate as stored, clamped to today's floor and ceiling (the configuration may have changed
// since it was learned); shared by the scripts below and by the acquire script.
export const LUA_RATE = `
local function learnedRate(key, initial, floor, ceiling)
  local stored = tonumber(redis.call('HGET', key, 'rps') or '')
  return math.min(ceiling, math.max(floor, stored or initial))
end
`;

const LUA_NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function us(value) return string.format('%.0f', value) end
`;

// ARGV: initial, floor, ceiling, increase, intervalUs, ttlMs, slowStartFactor.
const SUCCEEDED = defineScript(`${LUA_NOW}${LUA_RATE}
local initial, floor, ceiling = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local increase, interval = tonumber(ARGV[4]), tonumber(ARGV[5])
local rps = learnedRate(KEYS[1], initial, floor, ceiling)
local s = redis.call('HMGET', KEYS[1], 'increasedAt', 'pausedUntil', 'limitedAt', 'cutAt')
local increasedAt = tonumber(s[1] or '')
if increasedAt == nil then
  -- The first report starts the increase clock.
  redis.call('HSET', KEYS[1], 'rps', tostring(rps), 'increasedAt', us(now))
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  return tostring(rps)
end
if now - increasedAt < interval then return tostring(rps) end
if now < tonumber(s[2] or '0') or now - tonumber(s[3] or '0') > interval then return tostring(rps) end
local grown = rps + increase
-- Slow start while the fleet has never been cut (no cutAt yet).
if not s[4] then grown = math.max(grown, rps * tonumber(ARGV[7])) end
rps = math.min(ceiling, grown)
redis.call('HSET', KEYS[1], 'rps', tostring(rps), 'increasedAt', us(now))
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return tostring(rps)`);

// ARGV: initial, floor, ceiling, factor, sinceGrantUs, retryAfterUs, ttlMs.
const THROTTLED = defineScript(`${LUA_NOW}${LUA_RATE}
local initial, floor, ceiling = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local factor, grantedAt, retryAfter = tonumber(ARGV[4]), now - tonumber(ARGV[5]), tonumber(ARGV[6])
local rps = learnedRate(KEYS[1], initial, floor, ceiling)
local s = redis.call('HMGET', KEYS[1], 'cutAt', 'pausedUntil')
local paused = tonumber(s[2] or '0')
if retryAfter > 0 then
  paused = math.max(paused, now + retryAfter)
  redis.call('HSET', KEYS[1], 'pausedUntil', us(paused))
end
redis.call('HINCRBY', KEYS[1], 'throttles', 1)
redis.call('HSET', KEYS[1], 'lastThrottleAt', us(now))
local cut = 0
if grantedAt >= tonumber(s[1] or '0') then
  rps = math.max(floor, rps * factor)
  cut = 1
  redis.call('HSET', KEYS[1], 'rps', tostring(rps), 'cutAt', us(now), 'increasedAt', us(math.max(now, paused)))
end
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return { tostring(rps), cut }`);

export interface AdaptiveRateStore {
  /** A success: the rate after it (one increase per interval at most, fleet-wide). */
  succeeded(): Promise<number>;
  /** A 429 for a request granted `sinceGrantMs` ago: the rate after it, and whether it was cut. */
  throttled(sinceGrantMs: number, retryAfterMs: number | undefined): Promise<{ rps: number; cut: boolean }>;
}

export function createAdaptiveRateStore(redis: Redis, key: string, law: AimdSettings): AdaptiveRateStore {
  const bounds = [law.initialRps, law.floorRps, law.ceilingRps];
  return {
    async succeeded() {
      const answer = await SUCCEEDED.run(
        redis,
        [key],
        [...bounds, law.increaseRps, law.intervalMs * 1000, ADAPTIVE_TTL_MS, law.slowStartFactor],
      );
      return Number(answer);
    },
    async throttled(sinceGrantMs, retryAfterMs) {
      const answer = (await THROTTLED.run(
        redis,
        [key],
        [
          ...bounds,
          law.decreaseFactor,
          Math.max(0, Math.round(sinceGrantMs * 1000)),
          Math.max(0, Math.round((retryAfterMs ?? 0) * 1000)),
          ADAPTIVE_TTL_MS,
        ],
      )) as [string, number];
      return { rps: Number(answer[0]), cut: Number(answer[1]) === 1 };
    },
  };
}

export interface AdaptiveRateSnapshot {
  /** The learned rate; undefined when nothing was learned yet (the budget starts at TIMETAP_MAX_RPS). */
  rps: number | undefined;
  throttles: number;
  lastThrottleAt: Date | undefined;
  /** Set while a 429's Retry-After holds every request back. */
  pausedUntil: Date | undefined;
}

/** What `timetap-sync status` shows of the learned rate (raw, not clamped to the configuration). */
export async function readAdaptiveRate(redis: Redis, key: string): Promise<AdaptiveRateSnapshot> {
  const [rps, throttles, lastThrottleAt, pausedUntil] = await redis.hmget(
    key,
    'rps',
    'throttles',
    'lastThrottleAt',
    'pausedUntil',
  );
  const time = (us: string | null | undefined) => (us == null ? undefined : new Date(Number(us) / 1000));
  const paused = time(pausedUntil);
  return {
    rps: rps == null ? undefined : Number(rps),
    throttles: Number(throttles ?? 0),
    lastThrottleAt: time(lastThrottleAt),
    pausedUntil: paused && paused.getTime() > Date.now() ? paused : undefined,
  };
}
