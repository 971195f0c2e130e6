/**
 * On-demand resyncs (`timetap-sync resync`, `POST /resync`) and backfills (`timetap-sync backfill`). A request while an identical one is
 * still pending or running returns that job's id instead of queueing a second sync (BullMQ
 * deduplication lasts until the job completes or fails).
 */
import { randomUUID } from 'node:crypto';
import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DEFAULT_ACCOUNT, UnknownAccountError } from '../account.js';
import { ConfigError } from '../errors.js';
import type { OutageLog } from '../outage-log.js';
import { withAnswerDeadline } from '../redis/answer-deadline.js';
import { JOB } from './jobs.js';

export interface ResyncRequest {
  /** The account to sync (default: `default`). */
  account?: string;
  locationId?: number;
  trigger?: string;
}

/** Attempts of a job and the first delay between them (doubled each time, with jitter). */
export interface JobRetry {
  attempts: number;
  backoffMs: number;
}

export function jobOptions(retry: JobRetry): JobsOptions {
  return {
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.backoffMs, jitter: 0.5 },
    removeOnComplete: { age: 7 * 24 * 3600, count: 1_000 },
    removeOnFail: { age: 30 * 24 * 3600, count: 5_000 },
  };
}

export async function enqueueResync(
  queue: Queue,
  request: ResyncRequest,
  retry: JobRetry,
): Promise<{ jobId: string; existing: boolean }> {
  const trigger = request.trigger ?? 'manual';
  const account = request.account ?? DEFAULT_ACCOUNT;
  const deduplicationId = accountJobKey(
    account,
    request.locationId === undefined ? 'resync-full' : `resync-location-${request.locationId}`,
  );
  if (request.locationId === undefined) {
    // A full sync already waiting or under way (the scheduled one, say) is as good as a new one.
    const running = await pendingFullSync(queue, account);
    if (running) return { jobId: running, existing: true };
  }
  const before = await queue.getDeduplicationJobId(deduplicationId);
  const options = { ...jobOptions(retry), deduplication: { id: deduplicationId } };
  const job =
    request.locationId === undefined
      ? await queue.add(JOB.fullSync, { trigger, account }, options)
      : await queue.add(JOB.locationSync, { trigger, account, locationId: request.locationId }, options);
  const jobId = job.id as string;
  return { jobId, existing: before !== null && before === jobId };
}

/**
 * A backfill of `from`..`to`: the same range asked again while its job is pending or running
 * returns that job. Another range waits its turn in the queue, and is skipped if a backfill is
 * still running when a worker takes it (one backfill at a time, sync_runs).
 */
export async function enqueueBackfill(
  queue: Queue,
  request: { account?: string; from: string; to: string; again?: boolean; trigger?: string },
  retry: JobRetry,
): Promise<{ jobId: string; existing: boolean }> {
  const account = request.account ?? DEFAULT_ACCOUNT;
  const deduplicationId = accountJobKey(account, `backfill-${request.from}-${request.to}`);
  const before = await queue.getDeduplicationJobId(deduplicationId);
  const data = {
    account,
    trigger: request.trigger ?? 'manual',
    from: request.from,
    to: request.to,
    ...(request.again ? { again: true } : {}),
  };
  const job = await queue.add(JOB.backfill, data, {
    ...jobOptions(retry),
    deduplication: { id: deduplicationId },
  });
  const jobId = job.id as string;
  return { jobId, existing: before !== null && before === jobId };
}

async function pendingFullSync(queue: Queue, account: string): Promise<string | undefined> {
  const jobs = await queue.getJobs(['active', 'waiting-children', 'waiting', 'prioritized'], 0, 200);
  return jobs.find((job) => job?.name === JOB.fullSync && (job.data?.account ?? DEFAULT_ACCOUNT) === account)
    ?.id;
}

/**
 * A deduplication key of one account: `default` keeps the key it always had (a job queued before
 * an upgrade still deduplicates), another account's is prefixed with its name and a `.`, which no
 * account name holds. Not `:`: the key also starts job ids, and BullMQ refuses a `:` in those.
 */
function accountJobKey(account: string, key: string): string {
  return account === DEFAULT_ACCOUNT ? key : `${account}.${key}`;
}

/**
 * Runs a queue command for a caller that must answer quickly (an HTTP handler on the worker):
 * at once RedisUnavailableError while Redis is down (nothing was sent), within `timeoutMs`
 * RedisUnconfirmedError while it hangs (the command may still be carried out: the answer must
 * say "not confirmed"). See redis/answer-deadline.ts.
 */
export function createFastQueueCall(deps: {
  /** The queue's connection, whose state says whether Redis is reachable right now. */
  redis: Redis;
  redisUrl: string;
  timeoutMs?: number;
  /** The connection's outage log (connection.ts outageLogOf), told of a hang and of its end. */
  outages?: OutageLog;
}): <T>(action: () => Promise<T>) => Promise<T> {
  return (action) => withAnswerDeadline(deps, action);
}

/** `enqueueResync` through createFastQueueCall, for `POST /resync`. */
export function createResyncEnqueuer(deps: {
  queue: Queue;
  redis: Redis;
  redisUrl: string;
  retry: JobRetry;
  trigger: string;
  /** The configured accounts' names: a request names one of them, or means all. */
  accounts: readonly string[];
  timeoutMs?: number;
  outages?: OutageLog;
}): (request: { account?: string; locationId?: number }) => Promise<{
  jobId: string;
  existing: boolean;
  jobs: Array<{ account: string; jobId: string; existing: boolean }>;
}> {
  const fast = createFastQueueCall(deps);
  return async (request) => {
    const accounts = resyncAccounts(deps.accounts, request);
    const jobs = await fast(async () => {
      const queued = [];
      for (const account of accounts) {
        const { locationId } = request;
        const one = { account, trigger: deps.trigger, ...(locationId === undefined ? {} : { locationId }) };
        queued.push({ account, ...(await enqueueResync(deps.queue, one, deps.retry)) });
      }
      return queued;
    });
    const [first] = jobs;
    if (first === undefined) throw new Error('no account to sync');
    return { jobId: first.jobId, existing: first.existing, jobs };
  };
}

/** The accounts a resync request means: the one it names, else all (a location needs its account). */
function resyncAccounts(
  configured: readonly string[],
  request: { account?: string; locationId?: number },
): readonly string[] {
  if (request.account !== undefined) {
    if (!configured.includes(request.account)) throw new UnknownAccountError(request.account);
    return [request.account];
  }
  if (request.locationId !== undefined && configured.length > 1) {
    throw new ConfigError('a location belongs to one account: name it ("account") beside "locationId"');
  }
  return configured;
}

/** How long an appointment's first event waits for more before its appointment is read. */
const EVENT_SETTLE_MS = 1_000;

/**
 * The job for an appointment a webhook named, in the account its URL named. Events for one
 * appointment coalesce (per account: two accounts may have the same appointment id): while its job
 * waits, another event adds nothing (`coalesced`); while it runs, the next event is kept and runs
 * once it finishes (BullMQ's keepLastIfActive), so that a change made during the read is not
 * lost, and at most one job per appointment waits. A job waits `EVENT_SETTLE_MS` before it
 * reads: an edit in TimeTap's back office often sends several webhooks within a second (a booking,
 * then its confirmation), and they then cost one read instead of one each.
 */
export async function enqueueAppointmentEvent(
  queue: Queue,
  event: { account: string; calendarId: number; receivedAt: number },
  retry: JobRetry,
): Promise<{ jobId: string; coalesced: boolean }> {
  // The id is a number and comes last: `<account>-<id>` names one pair only.
  const deduplicationId = accountJobKey(event.account, `appointment-${event.calendarId}`);
  // An id of our own: BullMQ answers a deduplicated add with the job already there, so another id
  // tells, in the same atomic step, that this event coalesced (a look before the add would race).
  const ownId = `${deduplicationId}-${randomUUID()}`;
  const job = await queue.add(JOB.appointmentEvent, event, {
    ...jobOptions(retry),
    jobId: ownId,
    delay: EVENT_SETTLE_MS,
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    deduplication: { id: deduplicationId, keepLastIfActive: true },
  });
  const jobId = job.id as string;
  return { jobId, coalesced: jobId !== ownId };
}
