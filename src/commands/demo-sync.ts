/**
 * The demo's one full sync, run the way production runs it: through the real queue and worker,
 * on a queue prefix of the demo's own whose keys are removed afterwards, with a progress line fed
 * by the job's progress events.
 */
import { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Db } from '../db/database.js';
import { enqueueResync } from '../queue/enqueue.js';
import { startSyncWorker } from '../queue/worker.js';
import { removeKeys } from '../redis/remove-keys.js';
import type { Runtime } from '../runtime.js';
import { createProgressLine } from './progress.js';
import { createAccountReportMemory } from './report-memory.js';

const SYNC_TIMEOUT_MS = 5 * 60_000;

/** What the full-sync job returned; all of it optional, as a job's return value is not checked. */
export interface DemoSyncResult {
  status?: string;
  runId?: number;
  reasons?: string[];
}

/** Runs one full sync through a worker of its own and waits for it; everything it started is closed. */
export async function syncThroughQueue(
  runtime: Runtime,
  db: Db,
  queuePrefix: string,
): Promise<{ result: DemoSyncResult | undefined; elapsedMs: number }> {
  const { config, logger, redactor } = runtime;
  const progress = createProgressLine(process.stderr);
  let worker: Awaited<ReturnType<typeof startSyncWorker>> | undefined;
  let eventsRedis: Redis | undefined;
  let events: QueueEvents | undefined;
  try {
    worker = await startSyncWorker({
      config,
      db,
      logger,
      redactor,
      schedule: false,
      reportMemory: (account) => createAccountReportMemory(db, account.name),
    });
    eventsRedis = worker.redis.duplicate();
    events = new QueueEvents(config.redis.queueName, { connection: eventsRedis, prefix: queuePrefix });
    await events.waitUntilReady();
    const { jobId } = await enqueueResync(worker.queue, { trigger: 'demo' }, config.worker);
    const job = await worker.queue.getJob(jobId);
    if (!job) throw new Error(`job ${jobId} disappeared from the queue`);
    console.log(`full sync: queued as job ${jobId} on queue ${queuePrefix}:${config.redis.queueName}`);
    progress.update('syncing: starting');
    events.on('progress', ({ jobId: id, data }) => {
      if (id !== jobId || typeof data !== 'object' || data === null) return;
      const { done, total } = data as { done?: number; total?: number };
      progress.update(`syncing: ${done ?? 0}/${total ?? '?'} steps of the run done`);
    });
    const started = Date.now();
    const result = (await job.waitUntilFinished(events, SYNC_TIMEOUT_MS)) as DemoSyncResult | undefined;
    return { result, elapsedMs: Date.now() - started };
  } finally {
    progress.done();
    await events?.close().catch(() => undefined);
    await worker?.close().catch(() => undefined);
    if (eventsRedis) {
      await removeKeys(eventsRedis, `${queuePrefix}:*`).catch(() => undefined);
      await eventsRedis.quit().catch(() => eventsRedis?.disconnect());
    }
  }
}
