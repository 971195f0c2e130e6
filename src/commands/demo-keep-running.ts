/**
 * `timetap-sync demo --keep-running`: after the tour, the demo goes on as a worker does, against
 * the simulator, until Ctrl-C: the HTTP endpoints (the dashboard behind a token it makes up), the
 * job scheduler (a full sync every minute), and TimeTap's webhook, fed by the simulator, which
 * changes an appointment every few seconds. A line says when a webhook's appointment was mirrored
 * and when a sync finished, so that a newcomer sees each feature work.
 *
 * It works on a fixed queue prefix, so that `status`, `resync` and `backfill` reach it from
 * another terminal; one such demo per Redis at a time. When it stops, it removes its keys.
 */
import { randomBytes } from 'node:crypto';
import { type Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Database } from '../db/database.js';
import type { JobResult } from '../queue/jobs.js';
import { removeKeys } from '../redis/remove-keys.js';
import type { Runtime } from '../runtime.js';
import type { Simulator } from '../simulator/index.js';
import { isRunResult, type RunResult } from './run-summary.js';
import { startWorkerService } from './worker.js';

export const KEEP_RUNNING_PREFIX = 'timetap-sync-demo';
/** Every minute: a newcomer sees a scheduled sync without waiting long. */
export const DEMO_SCHEDULE = '* * * * *';
/** One appointment changed (booked, moved, cancelled, deleted in turn) every this many ms. */
const LIVE_CHANGES_MS = 5_000;

/** What the live part adds to the demo's configuration: its endpoints, their secrets, its schedule. */
export function keepRunningEnv(schedule: string): Record<string, string> {
  return {
    SYNC_SCHEDULE: schedule,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    ADMIN_TOKEN: randomBytes(16).toString('hex'),
    WEBHOOK_SECRET: randomBytes(16).toString('hex'),
  };
}

/**
 * Undefined when the fixed prefix is free (any keys a killed demo left there are removed), else
 * why not: another demo's worker consumes its queue.
 */
export async function claimDemoQueue(redisUrl: string, queueName: string): Promise<string | undefined> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  const queue = new Queue(queueName, { connection: redis, prefix: KEEP_RUNNING_PREFIX });
  try {
    if ((await queue.getWorkersCount()) > 0) {
      return (
        `another demo keeps running on this Redis (a worker consumes ${KEEP_RUNNING_PREFIX}:${queueName}): ` +
        'stop it first (Ctrl-C in its terminal)'
      );
    }
    await removeKeys(redis, `${KEEP_RUNNING_PREFIX}:*`);
    return undefined;
  } finally {
    await queue.close().catch(() => undefined);
    await redis.quit().catch(() => redis.disconnect());
  }
}

export async function keepRunning(
  runtime: Runtime,
  database: Database,
  simulator: Simulator,
  out: (line: string) => void = (line) => console.log(line),
): Promise<void> {
  const { config } = runtime;
  const service = await startWorkerService(runtime, database);
  const { sync, http, url } = service;
  try {
    sync.worker.on('completed', (job, result: unknown) => {
      const line = describeFinished(job, result);
      if (line) out(`${clock()} ${line}`);
    });
    const secret = config.accounts[0]?.webhookSecret ?? '';
    simulator.setWebhook({ url: `${url}/webhooks/timetap/${secret}`, format: 'json' });
    simulator.setLiveChanges(LIVE_CHANGES_MS);
    out(
      [
        `worker: ${url} (GET /healthz, /readyz, /metrics)`,
        `dashboard: ${url}/admin/queues (any user name, password ${config.http.adminToken ?? ''})`,
        `webhooks: an appointment changes every ${LIVE_CHANGES_MS / 1000} s; the simulator posts each change ` +
          'to /webhooks/timetap/<secret>',
        `job scheduler: a full sync at "${config.sync.schedule}", on the queue prefix ${KEEP_RUNNING_PREFIX}`,
        'in another terminal:',
        `  export DATABASE_URL=${withoutPassword(config.database.url)}`,
        `  export QUEUE_PREFIX=${KEEP_RUNNING_PREFIX} REDIS_URL=${withoutPassword(config.redis.url)}`,
        '  npx timetap-sync status',
        'Ctrl-C stops the demo',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    out('stopping: the worker finishes what it is doing, then the demo removes its queue keys');
  } finally {
    simulator.setLiveChanges(undefined);
    simulator.setWebhook(undefined);
    await sync.close().catch(() => undefined);
    await http.close().catch(() => undefined);
    const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    await removeKeys(redis, `${KEEP_RUNNING_PREFIX}:*`).catch(() => undefined);
    await redis.quit().catch(() => redis.disconnect());
  }
}

/** One line about a job that finished, or undefined for the steps of a run (only its end counts). */
export function describeFinished(job: Pick<Job, 'name' | 'data'>, result: unknown): string | undefined {
  if (job.name === 'appointment-event') {
    const event = result as JobResult<'appointment-event'>;
    const what =
      event.outcome === 'tombstoned' ? 'deleted' : event.outcome === 'current' ? 'already current' : 'stored';
    return `webhook: appointment ${event.calendarId} ${what}, mirrored ${(event.lagMs / 1000).toFixed(1)} s after it arrived`;
  }
  if (job.name !== 'full-sync' && job.name !== 'location-sync' && job.name !== 'backfill') return undefined;
  // A skip says why in text; a backfill's result counts its skipped chunks in a number.
  const skipped = (result as { skipped?: unknown } | null)?.skipped;
  if (typeof skipped === 'string') return `${job.name}: skipped: ${skipped}`;
  if (!isRunResult(result)) return undefined;
  const trigger = (job.data as { trigger?: string } | undefined)?.trigger;
  const what =
    job.name === 'full-sync' ? 'full sync' : job.name === 'backfill' ? 'backfill' : 'location sync';
  const by = trigger === 'schedule' ? 'scheduled ' : '';
  const took = result.durationMs === undefined ? '' : ` in ${(result.durationMs / 1000).toFixed(1)} s`;
  return `${by}${what}: ${result.status} (run ${result.runId})${took}: ${changes(result)}`;
}

function changes(result: RunResult): string {
  const total = { inserted: 0, updated: 0, deleted: 0 };
  for (const counts of Object.values(result.stats)) {
    total.inserted += counts?.inserted ?? 0;
    total.updated += (counts?.updated ?? 0) + (counts?.revived ?? 0);
    total.deleted += counts?.deleted ?? 0;
  }
  const parts = Object.entries(total)
    .filter(([, n]) => n > 0)
    .map(([what, n]) => `${n} ${what}`);
  return parts.length === 0 ? 'nothing changed' : parts.join(', ');
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

function withoutPassword(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
