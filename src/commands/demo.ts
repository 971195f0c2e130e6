/**
 * `timetap-sync demo`: the newcomer's tour on one machine, with nothing but Postgres and Redis.
 * It starts the simulator in this process (a made-up account; no TimeTap account needed), brings
 * the schema of its own database (`<configured name>_demo`, see demo-database.ts) up to date,
 * runs one full sync through the real queue and worker (on a queue prefix of its own, removed
 * afterwards), and prints the report. The simulator's keys are used whatever TIMETAP_* say.
 */
import { randomBytes } from 'node:crypto';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { createDatabase } from '../db/client.js';
import { explainDatabaseError } from '../db/database-problem.js';
import { migrate } from '../db/migrate.js';
import { describeError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { chooseLogOutput, createLogger, parseLogFormat } from '../logger.js';
import { enqueueResync } from '../queue/enqueue.js';
import { startSyncWorker } from '../queue/worker.js';
import { formatReport } from '../report/format-report.js';
import { readReport } from '../report/read-report.js';
import { createRuntime } from '../runtime.js';
import { type Simulator, startSimulator } from '../simulator/index.js';
import {
  DEFAULT_DATABASE_URL,
  type DemoDatabase,
  DemoDatabaseRefused,
  demoDatabaseUrl,
  ensureDemoDatabase,
} from './demo-database.js';
import { createProgressLine } from './progress.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const SYNC_TIMEOUT_MS = 5 * 60_000;

/**
 * The demo account: a small chain of 8 locations with 7 staff and 10 services each, every staff
 * member offering 4 of their location's services, plus a few staff and services at no location.
 * Two new hires offer nothing yet, so that the report has something to point out.
 */
export async function startDemoSimulator(): Promise<Simulator> {
  const simulator = await startSimulator({
    seed: 7,
    locations: 8,
    staffPerLocation: 7,
    servicesPerLocation: 10,
    servicesPerStaff: 4,
  });
  for (const [locationId, offers] of [...simulator.data.staffServices].slice(0, 2)) {
    const newHire = [...offers.keys()].at(-1);
    if (newHire === undefined) continue;
    for (const serviceId of [...(offers.get(newHire) ?? [])]) {
      simulator.data.unlinkStaffService(locationId, newHire, serviceId);
    }
  }
  return simulator;
}

export async function demoCommand(env: NodeJS.ProcessEnv): Promise<number> {
  const configuredUrl = env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const redisUrl = env.REDIS_URL || DEFAULT_REDIS_URL;
  // Checked before anything starts, so that a typo ends the demo with one line, not half-way.
  const logSetting = parseLogFormat(env.LOG_FORMAT);

  let demoDatabase: DemoDatabase;
  try {
    demoDatabase = await ensureDemoDatabase(configuredUrl);
  } catch (error) {
    if (error instanceof DemoDatabaseRefused) {
      console.error(`demo: refused: ${error.message}`);
      return EXIT.usage;
    }
    // The demo creates its database, so what remains is a server that is down or refuses us.
    const problem = explainDatabaseError(error, safeDemoUrl(configuredUrl));
    console.error(
      problem
        ? `demo: ${problem.message}`
        : `demo: cannot reach Postgres at ${describeServer(configuredUrl)} (${reasonOf(error)}): ` +
            'start it, or set DATABASE_URL',
    );
    return EXIT.failure;
  }
  const redisProblem = await pingRedis(redisUrl);
  if (redisProblem) {
    console.error(
      `demo: cannot reach Redis at ${describeServer(redisUrl)} (${redisProblem}): start it, or set REDIS_URL`,
    );
    return EXIT.failure;
  }
  console.log(
    `demo database: ${demoDatabase.name} on ${describeServer(demoDatabase.url)} ` +
      `(${demoDatabase.created ? 'created' : 'already there'}; the demo never writes elsewhere)`,
  );

  const simulator = await startDemoSimulator();
  const prefix = `timetap-sync-demo-${randomBytes(4).toString('hex')}`;
  const runtime = createRuntime(
    {
      ...env,
      DATABASE_URL: demoDatabase.url,
      REDIS_URL: redisUrl,
      TIMETAP_BASE_URL: simulator.url,
      TIMETAP_API_KEY: simulator.credentials.apiKey,
      TIMETAP_PRIVATE_KEY: simulator.credentials.privateKey,
      // The simulator is local: no need for the modest budget that suits TimeTap itself.
      TIMETAP_MAX_RPS: '50',
      TIMETAP_MAX_CONCURRENCY: '8',
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: env.LOG_LEVEL || 'warn',
    },
    ['timetap', 'database', 'redis'],
  );
  const { config, redactor } = runtime;
  // On a terminal the tour's own lines are what matters: logs come as short human lines (warnings
  // and errors only), above the progress line.
  const logger = createLogger({
    ...chooseLogOutput({
      setting: logSetting,
      level: config.logLevel,
      oneShot: true,
      terminal: process.stderr.isTTY === true,
    }),
    redactor,
  });
  const { locations, staff, services } = simulator.data;
  console.log(
    `simulator: ${simulator.url} (a made-up account: ${locations.size} locations, ${staff.size} staff, ${services.size} services)`,
  );

  const progress = createProgressLine(process.stderr);
  const database = createDatabase(config.database, logger);
  let worker: Awaited<ReturnType<typeof startSyncWorker>> | undefined;
  let eventsRedis: Redis | undefined;
  let events: QueueEvents | undefined;
  try {
    const migrated = await migrate({ databaseUrl: config.database.url, logger });
    console.log(
      migrated.applied.length === 0
        ? `schema: up to date (${migrated.alreadyApplied} migrations)`
        : `schema: applied ${migrated.applied.join(', ')}`,
    );

    worker = await startSyncWorker({ config, db: database.prisma, logger, redactor, schedule: false });
    eventsRedis = worker.redis.duplicate();
    events = new QueueEvents(config.redis.queueName, { connection: eventsRedis, prefix });
    await events.waitUntilReady();
    const { jobId } = await enqueueResync(worker.queue, { trigger: 'demo' }, config.worker);
    const job = await worker.queue.getJob(jobId);
    if (!job) throw new Error(`job ${jobId} disappeared from the queue`);
    console.log(`full sync: queued as job ${jobId} on queue ${prefix}:${config.redis.queueName}`);
    progress.update('syncing: starting');
    events.on('progress', ({ jobId: id, data }) => {
      if (id !== jobId || typeof data !== 'object' || data === null) return;
      const { done, total } = data as { done?: number; total?: number };
      progress.update(`syncing: ${done ?? 0}/${total ?? '?'} locations`);
    });
    const started = Date.now();
    const result = (await job.waitUntilFinished(events, SYNC_TIMEOUT_MS)) as {
      status?: string;
      runId?: number;
      reasons?: string[];
    };
    progress.done();
    const status = result?.status ?? 'failed';
    console.log(
      `full sync: ${status} (run ${result?.runId ?? '?'}) in ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
        `${simulator.calls.length} API calls to the simulator`,
    );
    for (const reason of result?.reasons ?? []) console.log(`! ${reason}`);

    const report = await readReport(database.prisma, { schedule: config.sync.schedule });
    console.log(`\n${formatReport(report)}\n`);
    console.log(
      [
        'next:',
        `  DATABASE_URL=${withoutPassword(demoDatabase.url)} npx timetap-sync report`,
        `  psql ${withoutPassword(demoDatabase.url)} -c 'SELECT * FROM staff_services_view LIMIT 10'`,
        '  then use your own TimeTap account: see "Use your own TimeTap account" in the README',
      ].join('\n'),
    );
    return status === 'succeeded' ? EXIT.ok : status === 'partial' ? EXIT.partial : EXIT.failure;
  } finally {
    progress.done();
    await events?.close().catch(() => undefined);
    await worker?.close().catch(() => undefined);
    if (eventsRedis) {
      await removeKeys(eventsRedis, `${prefix}:*`).catch(() => undefined);
      await eventsRedis.quit().catch(() => eventsRedis?.disconnect());
    }
    await simulator.close();
    await database.close();
  }
}

/** A quick, single-attempt PING, so that a Redis that is down fails the demo at once instead of hanging. */
async function pingRedis(url: string): Promise<string | undefined> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  let lastError: unknown;
  redis.on('error', (error) => {
    lastError = error;
  });
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (error) {
    // The rejection only says "Connection is closed"; the error event said why.
    return reasonOf(lastError ?? error);
  } finally {
    redis.disconnect();
  }
}

async function removeKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

function describeServer(url: string): string {
  try {
    const u = new URL(url);
    return u.host || 'localhost';
  } catch {
    return 'the configured server';
  }
}

/** The demo database's URL when it can be derived, for naming it in a message. */
function safeDemoUrl(configuredUrl: string): string {
  try {
    return demoDatabaseUrl(configuredUrl).url;
  } catch {
    return configuredUrl;
  }
}

function withoutPassword(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

function reasonOf(error: unknown): string {
  const code = (error as { code?: string }).code;
  return code ?? describeError(error);
}
