/**
 * The account-wide delete budget of a fanned-out full sync (see src/db/delete-budget.ts), shared
 * by the location jobs of one run across every worker process: one Redis hash per run, reserved
 * atomically so that two locations finishing at once cannot both squeeze under the limit.
 */
import type { Redis } from 'ioredis';
import { type DeleteBudget, type DeleteLimits, refusalReason } from '../db/delete-budget.js';
import { defineScript } from './script.js';

const TTL_SECONDS = 7 * 24 * 3600;

// KEYS[1] the run's hash; ARGV: field, count, limit, ttl. Returns the amount used before, or -1
// (nothing taken) when the reservation would pass the limit.
const RESERVE = defineScript(`
local used = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if used + tonumber(ARGV[2]) > tonumber(ARGV[3]) then return {-1, used} end
redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return {0, used}
`);

export function createRedisDeleteBudget(redis: Redis, key: string, limits: DeleteLimits): DeleteBudget {
  return {
    async reserve(table, count) {
      const [status, used] = (await RESERVE.run(
        redis,
        [key],
        [table, count, limits[table], TTL_SECONDS],
      )) as [number, number];
      return status === 0
        ? { ok: true }
        : { ok: false, reason: refusalReason(table, count, used, limits[table]) };
    },
  };
}
