/**
 * What the worker processes share of TimeTap through Redis: one session token (with what this
 * process learns of it, session-guard.ts), one request budget, and each run's budget of link
 * deletions. Each job gets a client of its own on top, so that its API-call counters are its own.
 */
import type { Redis } from 'ioredis';
import type { AccountContext } from '../account.js';
import type { Config } from '../config.js';
import type { DeleteBudget, DeleteLimits } from '../db/delete-budget.js';
import type { Logger } from '../logger.js';
import type { Redactor } from '../redact.js';
import { createRedisDeleteBudget } from '../redis/delete-budget.js';
import { createRedisLimiter } from '../redis/limiter.js';
import { createRedisSessionStore } from '../redis/session-store.js';
import { aimdSettings } from '../timetap/aimd.js';
import {
  createProcessReportMemory,
  createSessionGuard,
  createTimeTapApi,
  type ReportMemory,
  type TimeTapApi,
} from '../timetap/index.js';

export interface SharedTimeTap {
  createApi(signal: AbortSignal): TimeTapApi;
  createDeleteBudget(runId: number, limits: DeleteLimits): DeleteBudget;
}

/** An account's shared request budget's base key (redis/limiter.ts), also read by `timetap-sync status`. */
export function budgetKey(account: Pick<AccountContext, 'keyPrefix'>): string {
  return `${account.keyPrefix}:budget`;
}

/** What the worker processes share of one account's TimeTap through Redis. */
export function createSharedTimeTap(options: {
  redis: Redis;
  account: AccountContext;
  config: Config;
  logger: Logger;
  redactor: Redactor;
  onRequest?: (event: { endpoint: string; status: string }) => void;
  /** The budget's rate each time this process learns it, and once at start. */
  onRate?: (rps: number) => void;
  /** Which report endpoints answer; default: what this process learns, shared by its clients. */
  reportMemory?: ReportMemory;
}): SharedTimeTap {
  const { redis, config, account, logger, redactor } = options;
  const { timetap, keyPrefix: prefix } = account;
  // The token is stored encrypted with the private key, which every worker has anyway.
  const sessionStore = createRedisSessionStore(redis, {
    key: `${prefix}:session`,
    encryptionSecret: timetap.privateKey,
    // A login is one request, bounded by the request timeout: a process killed mid-login blocks
    // the others' logins for about that long, not for a fixed 30 s.
    lockTtlMs: Math.min(30_000, timetap.timeoutMs + 2_000),
  });
  const { adaptiveRate } = timetap;
  const limiter = createRedisLimiter(redis, {
    key: budgetKey(account),
    maxRps: timetap.maxRps,
    ...(adaptiveRate ? { adaptive: aimdSettings({ initialRps: timetap.maxRps, ...adaptiveRate }) } : {}),
    ...(options.onRate ? { onRate: options.onRate } : {}),
    // One line per cut, not per 429: one overload answers every request in flight with 429.
    onCut: ({ rps, retryAfterMs }) =>
      logger.warn(
        { rps: Number(rps.toFixed(2)), retryAfterMs },
        'TimeTap answered 429: the shared request rate is cut',
      ),
    maxConcurrency: timetap.maxConcurrency,
    audit: config.worker.limiterAudit,
    // A killed process's slots come back when its jobs do (BullMQ's lock, 30 s by default), not
    // a minute later: otherwise the worker that takes the jobs over may find no slot free.
    leaseMs: config.worker.lockDurationMs ?? 30_000,
  });
  if (options.onRate) {
    const report = options.onRate;
    // The rate learned before this process started (it lives in Redis), before any request.
    limiter.readRps().then(report, () => undefined);
  }
  // What this process learns of its session is shared by all of its jobs' clients.
  const sessionGuard = createSessionGuard(sessionStore);
  const reportMemory = options.reportMemory ?? createProcessReportMemory();
  return {
    createApi: (signal) =>
      createTimeTapApi({
        config: timetap,
        logger,
        redactor,
        sessionGuard,
        limiter,
        signal,
        reportMemory,
        ...(options.onRequest ? { onRequest: options.onRequest } : {}),
      }),
    createDeleteBudget: (runId, limits) =>
      createRedisDeleteBudget(redis, `${prefix}:run:${runId}:deletes`, limits),
  };
}
