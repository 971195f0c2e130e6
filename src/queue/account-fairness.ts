/**
 * Fairness across accounts in the one queue every worker shares (issue 22): one account's flood of
 * jobs (a year's backfill fans out a chunk job per week) must not hold every worker from another
 * account's scheduled sync.
 *
 * How: a job that starts first asks for a slot of its account (redis/account-admission.ts: at most
 * the fleet's slots less one, and an even share when several accounts have work). Over the cap, it
 * goes back to the queue as delayed (Job.moveToDelayed + DelayedError, BullMQ's documented pattern
 * for a processor that defers its job; it does not count as an attempt), and the worker's slot
 * takes the queue's next job, another account's sooner or later. The slot is released when the job
 * returns, fails, or waits for its children: a run's parent job holds no slot while its steps run.
 * As a complement, when there are several accounts, a backfill's chunk jobs go into the queue with
 * a lower priority (BACKFILL_PRIORITY) than every other job, so that another account's scheduled
 * sync (its parent and its steps) is taken before the chunks still waiting.
 *
 * Why not BullMQ's groups: groups (round-robin between groups, a concurrency per group) are a
 * feature of BullMQ Pro, which is paid. Why not a queue per account: each worker process would
 * run one BullMQ Worker per account, each with its own blocking connection and its own slots;
 * the slots of an idle account would stay idle while another has a backlog, a worker's
 * concurrency would be multiplied by the number of accounts (50 accounts, 200 jobs at once), and
 * adding an account would need every worker restarted. Admission keeps one queue and one
 * WORKER_CONCURRENCY, and an account alone gets all the slots but one.
 *
 * Not admitted: `appointment-event` jobs (a webhook's single read, short and latency-bound), and
 * everything when only one account is configured (nothing changes then: no Redis call, no delay).
 */
import { DelayedError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { DEFAULT_ACCOUNT } from '../account.js';
import type { Logger } from '../logger.js';
import {
  type AccountAdmission,
  type AccountAdmissionOptions,
  type AdmissionClass,
  createAccountAdmission,
} from '../redis/account-admission.js';
import { JOB } from './jobs.js';

/**
 * A backfill's chunk jobs, behind everything else in the queue (BullMQ: 0 is "no priority", taken
 * before every prioritized job; among prioritized jobs the lower number first). Only with several
 * accounts: with one, the chunks keep their place in the queue, as before.
 */
export const BACKFILL_PRIORITY = 10;

export interface AccountFairness {
  /** Runs `work` once the job's account holds a slot; over its cap, defers the job instead. */
  run<T>(job: Job, token: string | undefined, work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface AccountFairnessOptions extends Omit<AccountAdmissionOptions, 'prefix'> {
  redis: Redis;
  /** The queue's prefix (QUEUE_PREFIX). */
  prefix: string;
  /** The configured accounts' names: with one (or none), nothing is admitted. */
  accounts: readonly string[];
  logger: Logger;
}

export function createAccountFairness(options: AccountFairnessOptions): AccountFairness {
  if (options.accounts.length <= 1) return { run: (_job, _token, work) => work(), close: async () => {} };
  const { redis, logger, accounts: _accounts, ...admissionOptions } = options;
  const admission = createAccountAdmission(redis, admissionOptions);
  return {
    run: (job, token, work) => runAdmitted(redis, admission, logger, job, token, work),
    close: () => admission.close(),
  };
}

async function runAdmitted<T>(
  redis: Redis,
  admission: AccountAdmission,
  logger: Logger,
  job: Job,
  token: string | undefined,
  work: () => Promise<T>,
): Promise<T> {
  // Without a token the job cannot be moved (a test calling a processor directly): just run it.
  if (job.name === JOB.appointmentEvent || token === undefined || job.id === undefined) return work();
  const jobId = job.id;
  const account = accountName(job);
  let answer: Awaited<ReturnType<AccountAdmission['admit']>> | undefined;
  try {
    answer = await withinDeadline(redis, () => admission.admit(account, jobId, admissionClass(job)));
  } catch (error) {
    // Fairness is not worth a job, nor a job that never settles (a shutdown without Redis waits
    // for the jobs under way): if Redis does not answer the admission soon, the job runs, and most
    // likely meets the same outage in its own calls, which say so.
    logger.debug({ jobId, account, err: String(error) }, 'admission unavailable; the job runs');
  }
  if (answer && !answer.admitted) {
    logger.debug({ jobId, account, held: answer.held, cap: answer.cap }, 'job deferred: account at its cap');
    await job.moveToDelayed(Date.now() + answer.delayMs, token);
    throw new DelayedError();
  }
  try {
    return await work();
  } finally {
    // Also after an admission unanswered in time, which Redis may still grant. Not awaited, so
    // that the job settles even while Redis is gone; sent on the connection the worker finishes
    // the job on, so it reaches Redis first. A release that is lost expires with its lease.
    admission.release(account, jobId).catch(() => {});
  }
}

/** How long an admission may go unanswered (a hung Redis) before the job runs without it. */
const ADMISSION_TIMEOUT_MS = 3_000;

async function withinDeadline<T>(redis: Redis, ask: () => Promise<T>): Promise<T> {
  // Lost: nothing is sent (it would wait in ioredis' offline queue).
  if (redis.status !== 'ready') throw new Error(`Redis connection ${redis.status}`);
  const answer = ask();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('no answer in time')), ADMISSION_TIMEOUT_MS);
  });
  try {
    return await Promise.race([answer, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function accountName(job: Job): string {
  const account: unknown = (job.data as { account?: unknown } | undefined)?.account;
  return typeof account === 'string' ? account : DEFAULT_ACCOUNT;
}

/** A backfill's parent and its chunks are bulk work; anything else is a sync that someone awaits. */
function admissionClass(job: Job): AdmissionClass {
  if (job.name === JOB.backfill) return 'bulk';
  const scope: unknown = (job.data as { scope?: unknown } | undefined)?.scope;
  return scope === 'backfill' ? 'bulk' : 'sync';
}
