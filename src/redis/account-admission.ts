/**
 * Admission of jobs per account, fleet-wide: how many of the queue's slots (every worker's
 * concurrency, summed) one account may hold at once, so that one account's flood of jobs (a year's
 * backfill) never holds every worker from another account's jobs. See queue/account-fairness.ts
 * for how the worker uses it, and why this rather than BullMQ Pro's groups or a queue per account.
 *
 * Everything lives in Redis under `<queue prefix>:admission:` and is kept by one Lua script per
 * decision, on Redis' clock (`TIME`), so that processes with skewed clocks agree:
 * - `workers`: the slots of each live worker process, a sorted set of `<concurrency>:<worker id>`
 *   scored by its lease's expiry. The fleet's slots are the sum of the unexpired ones.
 * - `active:<account>`: the jobs an account holds, a sorted set of job ids scored by their lease's
 *   expiry. A running job's lease is renewed every `leaseMs/3`; a killed process's entries (and
 *   its slots) simply expire after `leaseMs`, so a crash never shrinks an account's share for good.
 * - `demand:all`, `demand:sync`: the accounts that asked for a slot within `demandWindowMs`, scored
 *   by when they last asked; `sync` holds only the asks of jobs that are not bulk (backfills).
 * - `holding:all`, `holding:sync`: the accounts that hold a slot (of a sync job, for `sync`), scored
 *   by their latest lease's expiry; `active-sync:<account>` is the part of `active:<account>` that
 *   is not bulk. An account whose jobs all run asks for nothing, yet has work: counting only the
 *   accounts that had asked lately, while every slot was held (so that few asked), gave the few
 *   that did a share of the whole fleet (bench 10: 9 slots to one account of 50, cap 2).
 * - `next:<account>`: when the account's latest deferred job comes back (see below).
 *
 * The cap of an account is the smallest of:
 * - the fleet's slots less `reservedSlots` (at least 1): a slot is always left to the others.
 *   BullMQ hands a free slot the queue's next job, and another account's job may wait behind
 *   hundreds of this account's; the reserved slot is the one that walks past them (each is
 *   deferred) to reach it. Without it the other account would wait for this one's queue to drain.
 * - the fair share, ceil(slots / accounts with work), an account with work being one that holds a
 *   slot or asked for one lately: several accounts with work share the slots evenly. A bulk job
 *   (a backfill's) counts every account with work; any other job counts only those with non-bulk
 *   work, so that a scheduled sync is not squeezed by another account's
 *   backfill (the backfill keeps what its own share leaves; a BullMQ priority puts its chunks
 *   behind the sync's steps in the queue: BACKFILL_PRIORITY, queue/account-fairness.ts).
 * Nothing is pre-empted: an account above its cap (because another account just arrived) keeps its
 * running jobs and gets no new one until it is below.
 *
 * A job over the cap is deferred: the script answers how long it should wait. The deferrals of
 * one account are spaced `spacingMs` apart, one after the other (`next:<account>`), rather than
 * all for the same short while: a backlog of N jobs then comes back one at a time over N spacings,
 * and a worker re-checks at most one of them per spacing, instead of cycling through all N
 * every while.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { defineScript } from './script.js';

export interface AccountAdmissionOptions {
  /** The queue's prefix (QUEUE_PREFIX): the keys are `<prefix>:admission:...`. */
  prefix: string;
  /** This process: its id and how many jobs it runs at once (WORKER_CONCURRENCY). */
  workerId: string;
  concurrency: number;
  /** How long an entry outlives a process that stopped renewing it (the worker's lock duration). */
  leaseMs: number;
  /** Slots of the fleet that no single account may take. Default 1. */
  reservedSlots?: number;
  /** How long an account that asked counts towards the fair share. Default 3 s (see below). */
  demandWindowMs?: number;
  /** The spacing of one account's deferred jobs. Default 100 ms. */
  spacingMs?: number;
}

/** Bulk work (a backfill) yields to other accounts' scheduled syncs; see the cap above. */
export type AdmissionClass = 'sync' | 'bulk';

export type AdmissionAnswer =
  | { admitted: true; held: number; cap: number }
  | { admitted: false; held: number; cap: number; delayMs: number };

export interface AccountAdmission {
  /**
   * Takes a slot of `account` for `jobId` (renewed until released), or says how long to wait.
   * Release a job whose admission was asked for, even if its answer never came.
   */
  admit(account: string, jobId: string, kind: AdmissionClass): Promise<AdmissionAnswer>;
  release(account: string, jobId: string): Promise<void>;
  /** Jobs `account` holds now (unexpired entries), for tests and metrics. */
  held(account: string): Promise<number>;
  /** Stops renewing and removes this process's slots from the fleet. */
  close(): Promise<void>;
}

/** A deferral's spacing: a backfill chunk takes seconds, so 10 re-checks a second cost nothing. */
export const DEFAULT_SPACING_MS = 100;
/**
 * An account with jobs waiting asks again at least every spacing (its deferred jobs come back):
 * a few seconds keep its demand alive, and let the others' share grow soon after it has no more.
 */
export const DEFAULT_DEMAND_WINDOW_MS = 3_000;
/** One slot: with the target of several worker processes (12 slots and more) it costs little. */
export const DEFAULT_RESERVED_SLOTS = 1;

/** How long closing waits for this process's slots to leave the fleet before it lets them expire. */
const CLOSE_WAIT_MS = 1_000;

export function admissionKeys(prefix: string) {
  const base = `${prefix}:admission`;
  return {
    workers: `${base}:workers`,
    demandAll: `${base}:demand:all`,
    demandSync: `${base}:demand:sync`,
    holdingAll: `${base}:holding:all`,
    holdingSync: `${base}:holding:sync`,
    active: (account: string) => `${base}:active:${account}`,
    activeSync: (account: string) => `${base}:active-sync:${account}`,
    next: (account: string) => `${base}:next:${account}`,
  };
}

const LUA_NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

// KEYS: active:<account>, workers, demand:all, demand:sync, next:<account>, holding:all,
//       holding:sync, active-sync:<account>
// ARGV: job id, account, class, lease ms, worker member, demand window ms, reserved, spacing ms
// Returns {1, held, cap} (admitted) or {0, held, cap, delay ms}.
const ADMIT = defineScript(`${LUA_NOW}
local lease = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], now + lease, ARGV[5])
redis.call('PEXPIRE', KEYS[2], lease)
local window = tonumber(ARGV[6])
redis.call('ZADD', KEYS[3], now, ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window)
redis.call('PEXPIRE', KEYS[3], window)
if ARGV[3] == 'sync' then
  redis.call('ZADD', KEYS[4], now, ARGV[2])
end
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', now)
local sync = ARGV[3] == 'sync'
-- The accounts with work: those that asked lately, and those holding a slot (running, not asking).
local counted, asking = {}, 0
for _, key in ipairs(sync and {KEYS[4], KEYS[7]} or {KEYS[3], KEYS[6]}) do
  for _, name in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    if not counted[name] then
      counted[name] = true
      asking = asking + 1
    end
  end
end
if asking < 1 then asking = 1 end
local slots = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  slots = slots + (tonumber(string.match(member, '^(%d+):')) or 0)
end
local cap = math.min(slots - tonumber(ARGV[7]), math.ceil(slots / asking))
if cap < 1 then cap = 1 end
local held = redis.call('ZCARD', KEYS[1])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or held < cap then
  local expiry = now + lease
  redis.call('ZADD', KEYS[1], expiry, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], lease)
  redis.call('ZADD', KEYS[6], 'GT', expiry, ARGV[2])
  redis.call('PEXPIRE', KEYS[6], lease)
  if sync then
    redis.call('ZADD', KEYS[8], expiry, ARGV[1])
    redis.call('PEXPIRE', KEYS[8], lease)
    redis.call('ZADD', KEYS[7], 'GT', expiry, ARGV[2])
    redis.call('PEXPIRE', KEYS[7], lease)
  end
  return {1, redis.call('ZCARD', KEYS[1]), cap}
end
local spacing = tonumber(ARGV[8])
local at = math.max(now, tonumber(redis.call('GET', KEYS[5]) or '0')) + spacing
redis.call('SET', KEYS[5], at, 'PX', at - now + lease)
return {0, held, cap, at - now}
`);

// KEYS: workers, holding:all, holding:sync, then active:<account> and active-sync:<account> of
// each held job; ARGV: lease ms, worker member, then each held job's id and account.
// XX: a lease that expired (Redis unreachable for longer than a lease) is not brought back over
// a cap that others may have filled meanwhile; the job runs on, uncounted, until it ends.
const RENEW = defineScript(`${LUA_NOW}
local lease = tonumber(ARGV[1])
local expiry = now + lease
redis.call('ZADD', KEYS[1], expiry, ARGV[2])
redis.call('PEXPIRE', KEYS[1], lease)
local jobs = (#KEYS - 3) / 2
for i = 1, jobs do
  local job, account = ARGV[1 + 2 * i], ARGV[2 + 2 * i]
  for j = 0, 1 do
    local active = KEYS[2 + 2 * i + j]
    if redis.call('ZADD', active, 'XX', 'CH', expiry, job) > 0 then
      redis.call('PEXPIRE', active, lease)
      redis.call('ZADD', KEYS[2 + j], 'GT', expiry, account)
      redis.call('PEXPIRE', KEYS[2 + j], lease)
    end
  end
end
return jobs
`);

// KEYS: active:<account>, active-sync:<account>, holding:all, holding:sync; ARGV: job id, account.
// The account leaves the holders with its last slot (of a sync job, for holding:sync).
const RELEASE = defineScript(`${LUA_NOW}
for i = 1, 2 do
  redis.call('ZREM', KEYS[i], ARGV[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  if redis.call('ZCARD', KEYS[i]) == 0 then redis.call('ZREM', KEYS[i + 2], ARGV[2]) end
end
return 1
`);

const HELD = defineScript(`${LUA_NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
`);

export function createAccountAdmission(redis: Redis, options: AccountAdmissionOptions): AccountAdmission {
  const keys = admissionKeys(options.prefix);
  const { leaseMs } = options;
  const member = `${options.concurrency}:${options.workerId}`;
  const demandWindowMs = options.demandWindowMs ?? DEFAULT_DEMAND_WINDOW_MS;
  const reserved = options.reservedSlots ?? DEFAULT_RESERVED_SLOTS;
  const spacingMs = options.spacingMs ?? DEFAULT_SPACING_MS;
  /** The leases this process holds: job id -> account. */
  const leases = new Map<string, string>();

  const renew = async () => {
    const held = [...leases];
    await RENEW.run(
      redis,
      [
        keys.workers,
        keys.holdingAll,
        keys.holdingSync,
        ...held.flatMap(([, account]) => [keys.active(account), keys.activeSync(account)]),
      ],
      [leaseMs, member, ...held.flat()],
    );
  };
  // A missed renewal is retried at the next tick; two missed in a row and the leases lapse, which
  // only lets the account take one more slot than its cap for a while.
  const timer = setInterval(() => renew().catch(() => {}), Math.max(50, Math.floor(leaseMs / 3)));
  timer.unref();
  // The fleet counts this process's slots from the start, not from its first job.
  renew().catch(() => {});

  return {
    async admit(account, jobId, kind) {
      // Renewed from the moment it is asked for (the renewal never creates an entry): an answer
      // that comes after the caller gave up on it and released the job must not be renewed for ever.
      leases.set(jobId, account);
      const answer = (await ADMIT.run(
        redis,
        [
          keys.active(account),
          keys.workers,
          keys.demandAll,
          keys.demandSync,
          keys.next(account),
          keys.holdingAll,
          keys.holdingSync,
          keys.activeSync(account),
        ],
        [jobId, account, kind, leaseMs, member, demandWindowMs, reserved, spacingMs],
      ).catch((error: unknown) => {
        leases.delete(jobId);
        throw error;
      })) as number[];
      const [admitted = 0, held = 0, cap = 0, delayMs = spacingMs] = answer;
      if (admitted === 1) return { admitted: true, held, cap };
      leases.delete(jobId);
      return { admitted: false, held, cap, delayMs };
    },
    async release(account, jobId) {
      leases.delete(jobId);
      await RELEASE.run(
        redis,
        [keys.active(account), keys.activeSync(account), keys.holdingAll, keys.holdingSync],
        [jobId, account],
      );
    },
    async held(account) {
      return Number(await HELD.run(redis, [keys.active(account)], []));
    },
    async close() {
      clearInterval(timer);
      // A shutdown does not wait for a Redis that is gone: the entry then expires with its lease.
      const removed = redis.zrem(keys.workers, member).catch(() => 0);
      await Promise.race([removed, sleep(CLOSE_WAIT_MS, undefined, { ref: false })]);
    },
  };
}
