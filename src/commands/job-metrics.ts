/**
 * Turns finished jobs into Prometheus metrics: runs by scope and status, their duration, rows by
 * table and outcome, the time of the last successful sync, and the lag of webhook events. The last
 * success starts from `sync_runs`, so that it survives a restart and a run another worker did.
 */
import type { Worker } from 'bullmq';
import { DEFAULT_ACCOUNT } from '../account.js';
import type { Db } from '../db/database.js';
import { lastSuccesses, MIRROR_TABLES } from '../db/index.js';
import type { Metrics } from '../metrics.js';
import { type AccountData, JOB, type JobResult } from '../queue/jobs.js';
import type { SyncSummary } from '../sync/run-sync.js';
import type { RunStats } from '../sync/stats.js';

export function recordJobMetrics(worker: Worker, metrics: Metrics): void {
  worker.on('completed', (job, result: unknown) => {
    metrics.jobs.inc({ name: job.name, outcome: 'completed' });
    const account = String((job.data as AccountData | undefined)?.account ?? DEFAULT_ACCOUNT);
    if (job.name === JOB.appointmentEvent) {
      const event = result as JobResult<'appointment-event'>;
      metrics.webhookLag.observe(event.lagMs / 1000);
      recordRows(metrics, account, event.stats);
      return;
    }
    if (!isRunResult(result)) return;
    const scope = 'scope' in result ? result.scope : 'full';
    metrics.syncRuns.inc({ account, scope, status: result.status });
    if (typeof result.durationMs === 'number')
      metrics.syncDuration.observe({ account, scope }, result.durationMs / 1000);
    if (result.status === 'succeeded') metrics.lastSuccess.set({ account, scope }, Date.now() / 1000);
    if ('stats' in result && result.stats) recordRows(metrics, account, result.stats);
  });
  worker.on('failed', (job) => metrics.jobs.inc({ name: job?.name ?? 'unknown', outcome: 'failed' }));
}

/** Sets the last-success gauge of every scope that ever succeeded, from `sync_runs`. */
export async function seedLastSuccess(metrics: Metrics, db: Db): Promise<void> {
  for (const { account, scope, finishedAt } of await lastSuccesses(db)) {
    metrics.lastSuccess.set({ account, scope }, finishedAt.getTime() / 1000);
  }
}

function recordRows(metrics: Metrics, account: string, stats: RunStats): void {
  for (const entity of MIRROR_TABLES) {
    for (const [outcome, count] of Object.entries(stats[entity])) {
      if (count > 0) metrics.rows.inc({ account, entity, outcome }, count);
    }
  }
}

function isRunResult(value: unknown): value is Pick<SyncSummary, 'status'> & Partial<SyncSummary> {
  return typeof value === 'object' && value !== null && 'status' in value && 'runId' in value;
}
