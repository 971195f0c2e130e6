/**
 * On-demand resyncs (`timetap-sync resync`, `POST /resync`) and backfills (`timetap-sync backfill`). A request while an identical one is
 * still pending or running returns that job's id instead of queueing a second sync (BullMQ
 * deduplication lasts until the job completes or fails).
 */
import { randomUUID } from 'node:crypto';
import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { RedisUnavailableError, redisHost, unreachable } from '../redis/connection.js';
import { JOB } from './jobs.js';

export interface ResyncRequest {
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
  const deduplicationId =
    request.locationId === undefined ? 'resync-full' : `resync-location-${request.locationId}`;
  if (request.locationId === undefined) {
    // A full sync already waiting or under way (the scheduled one, say) is as good as a new one.
    const running = await pendingFullSync(queue);
    if (running) return { jobId: running, existing: true };
  }
  const before = await queue.getDeduplicationJobId(deduplicationId);
  const options = { ...jobOptions(retry), deduplication: { id: deduplicationId } };
  const job =
    request.locationId === undefined
      ? await queue.add(JOB.fullSync, { trigger }, options)
      : await queue.add(JOB.locationSync, { trigger, locationId: request.locationId }, options);
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
  request: { from: string; to: string; again?: boolean; trigger?: string },
  retry: JobRetry,
): Promise<{ jobId: string; existing: boolean }> {
  const deduplicationId = `backfill-${request.from}-${request.to}`;
  const before = await queue.getDeduplicationJobId(deduplicationId);
  const data = {
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

async function pendingFullSync(queue: Queue): Promise<string | undefined> {
  const jobs = await queue.getJobs(['active', 'waiting-children', 'waiting', 'prioritized'], 0, 200);
  return jobs.find((job) => job?.name === JOB.fullSync)?.id;
}

/** ioredis states of a connection that was lost, where a command would wait for its return. */
const LOST = new Set(['reconnecting', 'close', 'end']);

/** How long `POST /resync` waits for Redis to take the job before it answers 503. */
export const ENQUEUE_TIMEOUT_MS = 3_000;

/**
 * Runs a queue command for a caller that must answer quickly (an HTTP handler on the worker): it
 * fails at once with RedisUnavailableError while the connection is down (lost: reconnecting or
 * closed), and within `timeoutMs` when Redis accepts the connection but does not answer, or while
 * a first connection is still being made (a call that comes right after the worker started waits
 * for it, within the same bound). On the worker's connection (an offline queue and no retry limit,
 * connection.ts) a command waits for Redis to come back, however long that takes: without these
 * two checks `POST /resync` hung for as long as Redis was down.
 */
export function createFastQueueCall(deps: {
  /** The queue's connection, whose state says whether Redis is reachable right now. */
  redis: Redis;
  redisUrl: string;
  timeoutMs?: number;
}): <T>(action: () => Promise<T>) => Promise<T> {
  const timeoutMs = deps.timeoutMs ?? ENQUEUE_TIMEOUT_MS;
  return async (action) => {
    if (LOST.has(deps.redis.status)) {
      throw new RedisUnavailableError(`Redis at ${redisHost(deps.redisUrl)} is unreachable`, {
        retryable: true,
      });
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(unreachable(deps.redisUrl, undefined, timeoutMs)), timeoutMs);
    });
    try {
      return await Promise.race([action(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** `enqueueResync` through createFastQueueCall, for `POST /resync`. */
export function createResyncEnqueuer(deps: {
  queue: Queue;
  redis: Redis;
  redisUrl: string;
  retry: JobRetry;
  trigger: string;
  timeoutMs?: number;
}): (request: { locationId?: number }) => Promise<{ jobId: string; existing: boolean }> {
  const fast = createFastQueueCall(deps);
  return (request) =>
    fast(() => enqueueResync(deps.queue, { ...request, trigger: deps.trigger }, deps.retry));
}

/** How long an appointment's first event waits for more before its appointment is read. */
export const EVENT_SETTLE_MS = 1_000;

/**
 * The job for an appointment a webhook named. Events for one appointment coalesce: while its job
 * waits, another event adds nothing (`coalesced`); while it runs, the next event is kept and runs
 * once it finishes (BullMQ's keepLastIfActive), so that a change made during the read is not
 * lost, and at most one job per appointment waits. A job waits `EVENT_SETTLE_MS` before it
 * reads: an edit in TimeTap's back office often sends several webhooks within a second (a booking,
 * then its confirmation), and they then cost one read instead of one each.
 */
export async function enqueueAppointmentEvent(
  queue: Queue,
  event: { calendarId: number; receivedAt: number },
  retry: JobRetry,
): Promise<{ jobId: string; coalesced: boolean }> {
  const deduplicationId = `appointment-${event.calendarId}`;
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
