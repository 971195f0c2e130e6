/**
 * What the worker's status page shows (http/status-page.ts), read when an admin opens it: the
 * mirror's freshness per account (`mirror_freshness_view`), the latest runs, each account's
 * request budget and the last webhook events (Redis), and what `doctor` last found of each
 * account (`account_profiles`). Each part is read on its own and within a few seconds: a part that
 * cannot be read is named among the page's problems in a few fixed words (failure-reason.ts), and
 * the rest is shown.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { type AccountProfile, type Db, readAccountProfile, readFreshness, recentRuns } from '../db/index.js';
import { failureReason } from '../failure-reason.js';
import type { AccountStatus, ReadStatusPage, RunStatus } from '../http/status-page.js';
import { budgetKey } from '../queue/shared-timetap.js';
import { lastWebhookEvents } from '../queue/webhook-events.js';
import { readAdaptiveRate } from '../redis/adaptive-rate.js';
import { RedisUnavailableError } from '../redis/connection.js';
import { limiterKeys } from '../redis/limiter.js';
import { scheduleIntervalMs } from '../report/schedule-interval.js';
import { describeRate } from './status.js';

/** Runs the page lists. */
const STATUS_PAGE_RUNS = 20;
/** How long the page waits for the database before it says it could not read it. */
const DATABASE_READ_TIMEOUT_MS = 3_000;

export interface StatusPageDeps {
  db: Db;
  /** The queue's connection, and the queue (webhook events are kept beside it). */
  redis: Redis;
  queue: Pick<Queue, 'toKey'>;
  /** Runs a Redis read that must fail fast while Redis is down (queue/enqueue.ts). */
  fast: <T>(read: () => Promise<T>) => Promise<T>;
  config: Pick<Config, 'accounts' | 'sync' | 'http'>;
  now?: () => Date;
}

export function createStatusPageReader(deps: StatusPageDeps): ReadStatusPage {
  const { db, redis, config } = deps;
  return async () => {
    const now = deps.now?.() ?? new Date();
    const problems = new Set<string>();
    const fromDatabase = <T>(read: () => Promise<T>, otherwise: T): Promise<T> =>
      bounded(read(), DATABASE_READ_TIMEOUT_MS).catch((error: unknown) => {
        problems.add(`database: ${failureReason(error)}`);
        return otherwise;
      });
    const fromRedis = <T>(read: () => Promise<T>, otherwise: T): Promise<T> =>
      deps.fast(read).catch((error: unknown) => {
        // The fast call refuses at once while the connection is lost: that is all it knows.
        problems.add(
          `Redis: ${error instanceof RedisUnavailableError ? 'unreachable' : failureReason(error)}`,
        );
        return otherwise;
      });
    const [freshness, runs, profiles, rates, webhooks] = await Promise.all([
      fromDatabase(() => readFreshness(db), []),
      fromDatabase(() => recentRuns(db, STATUS_PAGE_RUNS), []),
      fromDatabase(
        () => Promise.all(config.accounts.map((account) => readAccountProfile(db, account.name))),
        [],
      ),
      Promise.all(
        config.accounts.map((account) =>
          fromRedis(async () => {
            const learned = await readAdaptiveRate(redis, limiterKeys(budgetKey(account)).adaptive);
            return describeRate(account.timetap, learned);
          }, null),
        ),
      ),
      config.accounts.some((account) => account.webhookSecret !== undefined)
        ? fromRedis(() => lastWebhookEvents(redis, deps.queue), { received: null, applied: null })
        : null,
    ]);
    const accounts = config.accounts.map(
      (account, i): AccountStatus => ({
        name: account.name,
        scheduleIntervalSeconds: scheduleInterval(account.schedule, now),
        freshness: freshness.filter((row) => row.account === account.name),
        requestRate: rates[i] ?? null,
        ...doctorOf(profiles[i]),
      }),
    );
    return {
      generatedAt: now,
      accounts,
      runs: runs.map(
        (run): RunStatus => ({
          id: run.id,
          account: run.account,
          scope: run.scope,
          locationId: run.locationId,
          trigger: run.trigger,
          status: run.status,
          startedAt: run.startedAt,
          durationSeconds: run.finishedAt
            ? (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000
            : null,
          apiCalls: run.apiCalls,
          reasons: run.error,
        }),
      ),
      webhooks,
      problems: [...problems],
    };
  };
}

/** What `doctor --json` recorded (account_profiles.doctor), as the page shows it; nothing without it. */
function doctorOf(profile: AccountProfile | undefined): Pick<AccountStatus, 'doctor'> {
  const checks = (profile?.doctor as { checks?: unknown } | undefined)?.checks;
  if (!profile?.doctorAt || !Array.isArray(checks)) return {};
  return {
    doctor: {
      at: profile.doctorAt,
      checks: checks.map((check: Record<string, unknown>) => ({
        name: String(check.name),
        result: String(check.result),
        detail: String(check.detail ?? ''),
      })),
    },
  };
}

function scheduleInterval(pattern: string, now: Date): number | null {
  try {
    return scheduleIntervalMs(pattern, now) / 1000;
  } catch {
    return null;
  }
}

/** `work`, or a rejection that reads as "timed out" once `ms` have passed. */
async function bounded<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer: timed out after ${ms} ms`)), ms);
  });
  work.catch(() => undefined);
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
