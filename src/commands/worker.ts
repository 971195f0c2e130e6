/**
 * `timetap-sync worker` (`npm start`): the long-running service. Processes sync jobs, serves the
 * HTTP endpoints, and on SIGTERM/SIGINT stops taking jobs, lets running ones finish within the
 * grace period, closes everything and exits 0.
 *
 * It does not start on a Redis it cannot use: down (the first BullMQ command would wait for it
 * forever), refusing the password, or refusing the database index of REDIS_URL (ioredis would
 * carry on in database 0, where no one looks for the jobs). One line, exit 1; an orchestrator's
 * restart policy tries again. Once started, it rides out Redis outages.
 */
import type { Config } from '../config.js';
import { createDatabase, type Database } from '../db/database.js';
import { EXIT } from '../exit-codes.js';
import { failureReason } from '../failure-reason.js';
import type { ReadinessChecks } from '../http/health.js';
import { createHttpServer, type HttpServer, type WebhookOptions } from '../http/server.js';
import type { WebhookSecret } from '../http/webhook-route.js';
import type { Logger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { createOutageLog, type OutageLog } from '../outage-log.js';
import { createFastQueueCall, createResyncEnqueuer, enqueueAppointmentEvent } from '../queue/enqueue.js';
import { recordWebhookEvent } from '../queue/webhook-events.js';
import { type SyncWorker, startSyncWorker } from '../queue/worker.js';
import { withAnswerDeadline } from '../redis/answer-deadline.js';
import { createRedisConnection, RedisUnavailableError, waitForRedis } from '../redis/connection.js';
import type { Runtime } from '../runtime.js';
import { recordJobMetrics, seedLastSuccess } from './job-metrics.js';
import { CONSOLE_OUTPUT, type CommandOutput } from './output.js';
import { createAccountReportMemory } from './report-memory.js';
import { createScrapeRefresh } from './scrape-metrics.js';
import { createStatusPageReader } from './status-page-data.js';
import { shutDown } from './worker-shutdown.js';

export async function workerCommand(
  runtime: Runtime,
  output: CommandOutput = CONSOLE_OUTPUT,
): Promise<number> {
  const { config, logger, redactor } = runtime;
  try {
    await checkRedis(config.redis.url, logger);
  } catch (error) {
    if (!(error instanceof RedisUnavailableError)) throw error;
    // The same one line as every command that cannot start (cli.ts), before any log line.
    output.err(redactor.scrub(`error: ${error.message}`));
    return EXIT.failure;
  }
  const database = createDatabase(config.database, logger);
  const { sync, http, url } = await startWorkerService(runtime, database);
  logger.info({ url, schedule: config.sync.schedule, workerId: sync.workerId }, 'worker started');

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

  // The last resort, should a close hang where shutDown does not expect it (it bounds itself).
  const hardStop = setTimeout(
    () => {
      logger.error('shutdown took too long; exiting');
      process.exit(EXIT.failure);
    },
    config.worker.shutdownGraceMs * 2 + 5_000,
  );
  hardStop.unref();
  await shutDown({ sync, http, database }, { graceMs: config.worker.shutdownGraceMs, logger });
  logger.info('worker stopped');
  return EXIT.ok;
}

export interface WorkerService {
  sync: SyncWorker;
  http: HttpServer;
  /** Where the HTTP endpoints listen. */
  url: string;
}

/**
 * What the worker runs, started: the sync worker (its job scheduler included), the metrics it
 * records, and the HTTP endpoints. The demo's `--keep-running` runs the same.
 */
export async function startWorkerService(runtime: Runtime, database: Database): Promise<WorkerService> {
  const { config, logger, redactor } = runtime;
  const { registry, metrics } = createMetrics();
  // Without it, `time() - timetap_sync_last_success_timestamp_seconds` has no series after a
  // restart until a sync finishes here, and an alert on the mirror's age goes blind.
  await seedLastSuccess(metrics, database.prisma).catch((error: unknown) =>
    logger.warn({ err: redactor.scrub(String(error)) }, 'could not read the last successful runs'),
  );
  const sync = await startSyncWorker({
    config,
    db: database.prisma,
    logger,
    redactor,
    metrics,
    reportMemory: (account) => createAccountReportMemory(database.prisma, account.name),
  });
  recordJobMetrics(sync.worker, metrics);

  const readiness = readinessChecks(
    database,
    sync,
    config.redis.url,
    createOutageLog({ logger, dependency: 'database', where: hostOf(config.database.url) }),
  );
  const http = createHttpServer({
    host: config.http.host,
    port: config.http.port,
    adminToken: config.http.adminToken,
    trustProxy: config.http.trustProxy,
    logger,
    registry,
    readiness,
    refreshMetrics: createScrapeRefresh({
      db: database.prisma,
      metrics,
      readiness,
      logger,
      schedules: config.accounts.map((account) => ({ account: account.name, pattern: account.schedule })),
    }),
    enqueueResync: createResyncEnqueuer({
      queue: sync.queue,
      redis: sync.redis,
      redisUrl: config.redis.url,
      retry: config.worker,
      trigger: 'http',
      accounts: config.accounts.map((account) => account.name),
      outages: sync.redisOutages,
    }),
    dashboardQueues: [sync.queue],
    statusPage: createStatusPageReader({
      db: database.prisma,
      redis: sync.redis,
      queue: sync.queue,
      fast: createFastQueueCall({
        redis: sync.redis,
        redisUrl: config.redis.url,
        outages: sync.redisOutages,
      }),
      config,
    }),
    ...(webhookSecrets(config).length > 0
      ? { webhook: webhookOptions(webhookSecrets(config), sync, runtime, metrics) }
      : {}),
  });
  const { url } = await http.start();
  return { sync, http, url };
}

/** The accounts that take webhooks, each with the secret of its URL; none: the endpoint is off. */
export function webhookSecrets(config: Pick<Config, 'accounts'>): WebhookSecret[] {
  return config.accounts.flatMap(({ name, webhookSecret }) =>
    webhookSecret === undefined ? [] : [{ account: name, secret: webhookSecret }],
  );
}

/** The webhook endpoint: events go to the queue through a call that fails fast (503 at once). */
export function webhookOptions(
  secrets: readonly WebhookSecret[],
  sync: SyncWorker,
  { config }: Pick<Runtime, 'config'>,
  metrics: ReturnType<typeof createMetrics>['metrics'],
): WebhookOptions {
  const fast = createFastQueueCall({
    redis: sync.redis,
    redisUrl: config.redis.url,
    outages: sync.redisOutages,
  });
  return {
    secrets,
    perSourcePerMinute: config.http.webhookRateLimit,
    enqueue: (event) => fast(() => enqueueAppointmentEvent(sync.queue, event, config.worker)),
    record: (event) => fast(() => recordWebhookEvent(sync.redis, sync.queue, 'received', event)),
    metrics,
  };
}

/** Connects once with a client connection that fails fast, and closes it. */
async function checkRedis(url: string, logger: Logger): Promise<void> {
  const probe = createRedisConnection(url, {
    role: 'client',
    logger,
    name: 'timetap-sync:probe',
    report: 'caller',
  });
  try {
    await waitForRedis(probe, url);
  } finally {
    probe.disconnect();
  }
}

/**
 * One check per dependency, named as the README names them. None quotes an error: a check that
 * throws is reported by the kind of failure (health.ts). Redis reports its own outages (its
 * connection's outage log); for the database, which nothing else watches while the worker is
 * idle, the probes do.
 */
function readinessChecks(
  database: Database,
  sync: SyncWorker,
  redisUrl: string,
  databaseOutages: OutageLog,
): ReadinessChecks {
  return {
    database: async () => {
      try {
        await database.prisma.$queryRaw`SELECT 1`;
      } catch (error) {
        databaseOutages.lost(failureReason(error));
        throw error;
      }
      databaseOutages.restored();
      return true;
    },
    // A connection that is not ready would queue the PING until Redis is back: ask its state
    // first. A ready one that does not answer is a hung Redis, told to its outage log.
    redis: async () => {
      if (sync.redis.status !== 'ready') return 'unreachable';
      const deadline = { redis: sync.redis, redisUrl, outages: sync.redisOutages };
      return (await withAnswerDeadline(deadline, () => sync.redis.ping())) === 'PONG' || 'unexpected answer';
    },
    worker: async () => (sync.isConsuming() && sync.redis.status === 'ready') || 'not consuming',
  };
}

/** host:port of a URL, for log lines; never the user or password. */
function hostOf(url: string): string {
  try {
    const { hostname, port } = new URL(url);
    return port ? `${hostname}:${port}` : hostname;
  } catch {
    return 'unparseable URL';
  }
}
