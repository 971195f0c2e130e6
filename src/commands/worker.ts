/**
 * `timetap-sync worker` (`npm start`): the long-running service. Processes sync jobs, serves the
 * HTTP endpoints, and on SIGTERM/SIGINT stops taking jobs, lets running ones finish within the
 * grace period, closes everything and exits 0.
 */
import { createDatabase } from '../db/client.js';
import { describeError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { createHttpServer } from '../http/server.js';
import { createMetrics } from '../metrics.js';
import { enqueueResync } from '../queue/enqueue.js';
import { startSyncWorker } from '../queue/worker.js';
import type { Runtime } from '../runtime.js';
import { recordJobMetrics } from './job-metrics.js';

export async function workerCommand(runtime: Runtime): Promise<number> {
  const { config, logger, redactor } = runtime;
  const database = createDatabase(config.database, logger);
  const { registry, metrics } = createMetrics();
  const { lockDurationMs, stalledIntervalMs, staleRunMs, heartbeatMs } = config.worker;
  const sync = await startSyncWorker({
    config,
    db: database.prisma,
    logger,
    redactor,
    metrics,
    ...(lockDurationMs ? { lockDurationMs } : {}),
    ...(stalledIntervalMs ? { stalledIntervalMs } : {}),
    ...(staleRunMs ? { staleRunMs } : {}),
    ...(heartbeatMs ? { heartbeatMs } : {}),
  });
  recordJobMetrics(sync.worker, metrics);

  const http = createHttpServer({
    host: config.http.host,
    port: config.http.port,
    adminToken: config.http.adminToken,
    logger,
    registry,
    readiness: async () => ({
      postgres: await database.prisma.$queryRaw`SELECT 1`.then(
        () => true,
        (error: unknown) => describeError(error),
      ),
      redis: await sync.redis.ping().then(
        (answer) => answer === 'PONG',
        (error: unknown) => describeError(error),
      ),
      worker: sync.isConsuming() || 'not consuming',
    }),
    enqueueResync: (request) => enqueueResync(sync.queue, { ...request, trigger: 'http' }, config.worker),
    dashboardQueues: [sync.queue],
  });
  const { url } = await http.start();
  logger.info({ url, schedule: config.sync.schedule, workerId: sync.workerId }, 'worker started');

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

  // A second signal, or a close that hangs past twice the grace period, ends the process anyway.
  const hardStop = setTimeout(
    () => {
      logger.error('shutdown took too long; exiting');
      process.exit(EXIT.failure);
    },
    config.worker.shutdownGraceMs * 2 + 5_000,
  );
  hardStop.unref();
  await sync.close();
  await http.close();
  await database.close();
  logger.info('worker stopped');
  return EXIT.ok;
}
