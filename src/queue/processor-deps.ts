/**
 * What the job processors need, wired by the worker. Each job gets its own TimeTap client view
 * (sharing the session and the request budget) so that its API-call counters are its own.
 */
import type { Queue } from 'bullmq';
import { DelayedError, UnrecoverableError, WaitingChildrenError, WaitingError } from 'bullmq';
import type { Redis } from 'ioredis';
import { findAccount } from '../account.js';
import type { Db } from '../db/database.js';
import type { DeleteBudget, DeleteLimits } from '../db/delete-budget.js';
import { AuthError, ConfigError, describeError, isRetryable } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Redactor } from '../redact.js';
import type { RunSettings } from '../sync/run-settings.js';
import type { StepDeps } from '../sync/steps.js';
import type { TimeTapApi } from '../timetap/index.js';
import type { JobRetry } from './enqueue.js';

/** What the jobs of one account need: its run settings and what its workers share in Redis. */
export interface AccountRuntime {
  settings: RunSettings;
  createApi: (signal: AbortSignal) => TimeTapApi;
  /** A run's account-wide budget of link deletions, shared by its location steps. */
  createDeleteBudget: (runId: number, limits: DeleteLimits) => DeleteBudget;
}

export interface ProcessorDeps {
  db: Db;
  logger: Logger;
  redactor: Redactor;
  queue: Queue;
  /** The connection `queue` uses, for scripts of our own over the queue's keys. */
  redis: Redis;
  /** Every configured account's runtime; a job names its account (`default` when it does not). */
  accounts: readonly AccountRuntime[];
  jobRetry: JobRetry;
  workerId: string;
  /** Aborted when the worker shuts down and the grace period is over. */
  shutdown: AbortSignal;
}

/** The runtime of the account a job is for; a job of an account no longer configured fails. */
export function accountOf(deps: Pick<ProcessorDeps, 'accounts'>, name: string | undefined): AccountRuntime {
  const account = findAccount(
    deps.accounts.map((a) => a.settings.account),
    name,
  );
  return deps.accounts.find((a) => a.settings.account === account) as AccountRuntime;
}

/** The steps' dependencies for one job: its account's settings, its own client and logger. */
export function stepDeps(
  deps: ProcessorDeps,
  runtime: AccountRuntime,
  api: TimeTapApi,
  logger: Logger,
): StepDeps {
  const { db, redactor } = deps;
  const { locationConcurrency: _, ...settings } = runtime.settings;
  return { ...settings, db, redactor, api, logger };
}

/**
 * Turns a failure into what BullMQ should do with the job: a shutdown is retried later; a wrong
 * key pair or configuration can never succeed (UnrecoverableError, no further attempts); other
 * failures are retried when retrying can help.
 */
export function jobError(error: unknown, deps: Pick<ProcessorDeps, 'shutdown' | 'redactor'>): Error {
  const message = deps.redactor.scrub(describeError(error));
  if (deps.shutdown.aborted) return new Error('shutdown: the worker stopped before the job finished');
  if (error instanceof AuthError || error instanceof ConfigError) return new UnrecoverableError(message);
  if (error instanceof Error && !isRetryable(error) && isPermanent(error))
    return new UnrecoverableError(message);
  return new Error(message);
}

/**
 * What BullMQ stores of a failure (`failedReason`, `stacktrace`, the events stream, the dashboard)
 * leaves the process: every error a processor throws passes the redactor here, its stack too.
 * BullMQ's own signals (waiting for children, moved to delayed) pass unchanged: they carry no text
 * of ours and BullMQ recognises them by class.
 */
export function scrubbedForQueue(error: unknown, redactor: Redactor): unknown {
  if (error instanceof WaitingChildrenError || error instanceof DelayedError || error instanceof WaitingError)
    return error;
  const message = redactor.scrub(error instanceof Error ? error.message : String(error));
  const scrubbed = error instanceof UnrecoverableError ? new UnrecoverableError(message) : new Error(message);
  const stack = error instanceof Error ? error.stack : undefined;
  if (stack !== undefined) scrubbed.stack = redactor.scrub(stack);
  return scrubbed;
}

/** Our own typed errors know; anything else (a database hiccup, say) is worth another attempt. */
function isPermanent(error: Error): boolean {
  return 'retryable' in error;
}
