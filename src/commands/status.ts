/**
 * `timetap-sync status [--json]`: recent sync runs, the next scheduled run, the queue's counts.
 */
import { Queue } from 'bullmq';
import { createDatabase } from '../db/client.js';
import { recentRuns } from '../db/index.js';
import { EXIT } from '../exit-codes.js';
import { SCHEDULER_ID } from '../queue/jobs.js';
import { createRedisConnection } from '../redis/connection.js';
import type { Runtime } from '../runtime.js';

export async function statusCommand(runtime: Runtime, options: { json?: boolean }): Promise<number> {
  const { config, logger } = runtime;
  const database = createDatabase(config.database, logger);
  const redis = createRedisConnection(config.redis.url, {
    role: 'client',
    logger,
    name: 'timetap-sync:status',
  });
  const queue = new Queue(config.redis.queueName, { connection: redis, prefix: config.redis.prefix });
  try {
    const [runs, scheduler, counts] = await Promise.all([
      recentRuns(database.prisma, 10),
      queue.getJobScheduler(SCHEDULER_ID),
      queue.getJobCounts('active', 'waiting', 'waiting-children', 'delayed', 'completed', 'failed'),
    ]);
    const next = scheduler?.next ? new Date(scheduler.next).toISOString() : null;
    const rows = runs.map((run) => ({
      id: run.id,
      scope: run.scope,
      locationId: run.locationId === null ? null : Number(run.locationId),
      trigger: run.trigger,
      status: run.status,
      startedAt: run.startedAt.toISOString(),
      durationS: run.finishedAt ? (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000 : null,
      apiCalls: run.apiCalls,
      error: run.error,
    }));
    if (options.json) {
      console.log(
        JSON.stringify(
          { nextScheduledRun: next, schedule: scheduler?.pattern ?? null, queue: counts, runs: rows },
          null,
          2,
        ),
      );
      return EXIT.ok;
    }
    console.log(`next scheduled full sync: ${next ?? 'none (no worker has registered the schedule yet)'}`);
    console.log(
      `queue: ${Object.entries(counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    console.log(rows.length === 0 ? 'no sync runs yet' : 'recent runs:');
    for (const r of rows) {
      const scope = r.scope === 'full' ? 'full' : `location ${r.locationId}`;
      const took = r.durationS === null ? 'running' : `${r.durationS.toFixed(1)} s`;
      console.log(
        `  #${r.id}  ${r.startedAt}  ${scope.padEnd(16)} ${r.status.padEnd(9)} ${took.padStart(9)}  ${r.apiCalls} calls  (${r.trigger})`,
      );
      if (r.error && r.status !== 'succeeded') console.log(`      ${r.error.split('\n')[0]}`);
    }
    return EXIT.ok;
  } finally {
    await queue.close();
    await redis.quit().catch(() => redis.disconnect());
    await database.close();
  }
}
