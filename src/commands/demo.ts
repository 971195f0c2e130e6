/**
 * `timetap-sync demo [--keep-running]`: the newcomer's tour on one machine, with nothing but
 * Postgres and Redis. It starts the simulator in this process (a made-up account; no TimeTap
 * account needed), brings the schema of its own database (`<configured name>_demo`, see
 * demo-database.ts) up to date, runs one full sync through the real queue and worker (on a queue
 * prefix of its own, removed afterwards), and prints the report. The simulator's keys are used
 * whatever TIMETAP_* say. With --keep-running it then goes on as a worker (demo-keep-running.ts).
 *
 * This module tells the tour; the steps are demo-preflight.ts (database and Redis ready),
 * demo-simulator.ts (the account), demo-runtime.ts (the configuration) and demo-sync.ts (the sync).
 */
import { randomBytes } from 'node:crypto';
import { CronExpressionParser } from 'cron-parser';
import { DEFAULT_ACCOUNT } from '../account.js';
import { createDatabase } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { EXIT } from '../exit-codes.js';
import { parseLogFormat } from '../logger.js';
import { formatReport } from '../report/format-report.js';
import { readReport } from '../report/read-report.js';
import { DEFAULT_DATABASE_URL } from './demo-database.js';
import {
  claimDemoQueue,
  DEMO_SCHEDULE,
  KEEP_RUNNING_PREFIX,
  keepRunning,
  keepRunningEnv,
} from './demo-keep-running.js';
import { demoPreflight, describeServer } from './demo-preflight.js';
import { createDemoRuntime } from './demo-runtime.js';
import { startDemoSimulator } from './demo-simulator.js';
import { syncThroughQueue } from './demo-sync.js';

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface DemoOptions {
  /** Go on as a worker after the tour, until a signal. */
  keepRunning?: boolean;
  /** With keepRunning: the job scheduler's cron pattern (default every minute). */
  schedule?: string;
}

export async function demoCommand(env: NodeJS.ProcessEnv, options: DemoOptions = {}): Promise<number> {
  const configuredUrl = env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const redisUrl = env.REDIS_URL || DEFAULT_REDIS_URL;
  // Checked before anything starts, so that a typo ends the demo with one line, not half-way.
  const logSetting = parseLogFormat(env.LOG_FORMAT);
  if (options.schedule !== undefined && options.keepRunning !== true) {
    console.error('demo: --schedule needs --keep-running');
    return EXIT.usage;
  }
  const schedule = options.schedule ?? DEMO_SCHEDULE;
  const scheduleWrong = demoScheduleProblem(schedule);
  if (scheduleWrong !== undefined) {
    console.error(`demo: --schedule ${scheduleWrong}`);
    return EXIT.usage;
  }
  const preflight = await demoPreflight(configuredUrl, redisUrl);
  if (!preflight.ok) {
    console.error(`demo: ${preflight.problem}`);
    return preflight.exitCode;
  }
  if (options.keepRunning) {
    const taken = await claimDemoQueue(redisUrl, env.QUEUE_NAME || 'sync');
    if (taken !== undefined) {
      console.error(`demo: ${taken}`);
      return EXIT.failure;
    }
  }
  const demoDatabase = preflight.database;
  console.log(
    `demo database: ${demoDatabase.name} on ${describeServer(demoDatabase.url)} ` +
      `(${demoDatabase.created ? 'created' : 'already there'}; the demo never writes elsewhere)`,
  );

  const simulator = await startDemoSimulator();
  // The one-shot tour's prefix is its own, so that demos may run side by side; a demo that keeps
  // running uses a fixed one, which the other commands can be pointed at.
  const queuePrefix = options.keepRunning
    ? KEEP_RUNNING_PREFIX
    : `timetap-sync-demo-${randomBytes(4).toString('hex')}`;
  const runtime = createDemoRuntime(env, {
    databaseUrl: demoDatabase.url,
    redisUrl,
    simulator,
    queuePrefix,
    logSetting,
    ...(options.keepRunning ? { extra: keepRunningEnv(schedule) } : {}),
  });
  const { config, logger } = runtime;
  const { locations, staff, services } = simulator.data;
  console.log(
    `simulator: ${simulator.url} (a made-up account: ${locations.size} locations, ${staff.size} staff, ${services.size} services)`,
  );

  const database = createDatabase(config.database, logger);
  try {
    const migrated = await migrate({ databaseUrl: config.database.url, logger });
    console.log(
      migrated.applied.length === 0
        ? `schema: up to date (${migrated.alreadyApplied} migrations)`
        : `schema: applied ${migrated.applied.join(', ')}`,
    );

    const { result, elapsedMs } = await syncThroughQueue(runtime, database.prisma, queuePrefix);
    const status = result?.status ?? 'failed';
    console.log(
      `full sync: ${status} (run ${result?.runId ?? '?'}) in ${(elapsedMs / 1000).toFixed(1)} s, ` +
        `${simulator.calls.length} API calls to the simulator`,
    );
    for (const reason of result?.reasons ?? []) console.log(`! ${reason}`);

    const report = await readReport(database.prisma, {
      account: DEFAULT_ACCOUNT,
      schedule: config.sync.schedule,
    });
    console.log(`\n${formatReport(report)}\n`);
    const exitCode = status === 'succeeded' ? EXIT.ok : status === 'partial' ? EXIT.partial : EXIT.failure;
    if (!options.keepRunning) {
      console.log(nextSteps(demoDatabase.url));
      return exitCode;
    }
    await keepRunning(runtime, database, simulator);
    return exitCode;
  } finally {
    await simulator.close();
    await database.close();
  }
}

/**
 * The demo syncs a simulator on this machine, so any pattern the job scheduler reads will do, one
 * that fires every few seconds included (SYNC_SCHEDULE's own check keeps TimeTap's budget).
 */
function demoScheduleProblem(pattern: string): string | undefined {
  const fields = pattern.trim().split(/\s+/).length;
  try {
    if (fields !== 5 && fields !== 6) throw new Error('fields');
    CronExpressionParser.parse(pattern).next();
    return undefined;
  } catch {
    return 'must be a cron pattern such as "* * * * *" (5 fields; with 6, seconds first)';
  }
}

/** Where to go from the tour: the same mirror by hand, the live demo, then one's own account. */
function nextSteps(demoUrl: string): string {
  return [
    'next:',
    `  export DATABASE_URL=${withoutPassword(demoUrl)}`,
    '  npx timetap-sync report',
    `  psql "$DATABASE_URL" -c 'SELECT * FROM staff_services_view LIMIT 10'`,
    '  npm run demo -- --keep-running    # the worker: webhooks, a sync every minute',
    '  then your own TimeTap account: see "Use your own TimeTap account" in the README',
  ].join('\n');
}

function withoutPassword(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
