/**
 * Builds what a sync needs for a test: a TimeTap client pointed at a simulator, with short
 * retry delays, and the run dependencies around a test database.
 */
import type { Writable } from 'node:stream';
import { type Config, loadConfig, type TimeTapConfig } from '../../src/config.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { createRedactor, type Redactor } from '../../src/redact.js';
import type { Simulator } from '../../src/simulator/index.js';
import { runSettings } from '../../src/sync/run-settings.js';
import type { RunDeps } from '../../src/sync/run-sync.js';
import { createTimeTapApi, type TimeTapApi } from '../../src/timetap/index.js';
import { soleAccount } from './account.js';

export interface CapturedLog {
  lines: string[];
  stream: Writable & { write(chunk: string): boolean };
}

export function captureLog(): CapturedLog {
  const lines: string[] = [];
  const stream = {
    write(chunk: string) {
      lines.push(chunk);
      return true;
    },
  } as CapturedLog['stream'];
  return { lines, stream };
}

/**
 * Appointments from 14 days before today to 14 after (UTC dates): few, and all inside the default
 * rolling window, for tests that compare the mirror with every appointment the simulator holds
 * (by default it holds a year of history, which only a backfill reads).
 */
export function recentAppointments(days = 14): { from: string; to: string } {
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  return { from: day(-days), to: day(days) };
}

export function simulatorEnv(sim: Simulator, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    TIMETAP_API_KEY: sim.credentials.apiKey,
    TIMETAP_PRIVATE_KEY: sim.credentials.privateKey,
    TIMETAP_BASE_URL: sim.url,
    TIMETAP_MAX_RPS: '500',
    TIMETAP_MAX_CONCURRENCY: '8',
    TIMETAP_TIMEOUT_MS: '3000',
    TIMETAP_RETRIES: '3',
    TIMETAP_RETRY_MAX_TIME_MS: '10000',
    ...extra,
  };
}

/**
 * The environment of a worker process that a test starts on the simulator: any free HTTP port,
 * info logs (the tests read them) and a schedule a year away (the test asks for what it wants run).
 */
export function workerProcessEnv(
  sim: Simulator,
  target: { databaseUrl: string; redisUrl: string; prefix: string },
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return simulatorEnv(sim, {
    DATABASE_URL: target.databaseUrl,
    REDIS_URL: target.redisUrl,
    QUEUE_PREFIX: target.prefix,
    HTTP_PORT: '0',
    LOG_LEVEL: 'info',
    SYNC_SCHEDULE: '0 0 1 1 *',
    ...extra,
  });
}

/** A TimeTap client configuration pointed at the simulator, quick to retry, for client-level tests. */
export function testTimeTapConfig(sim: Simulator, overrides: Partial<TimeTapConfig> = {}): TimeTapConfig {
  return {
    apiKey: sim.credentials.apiKey,
    privateKey: sim.credentials.privateKey,
    baseUrl: sim.url,
    maxRps: 500,
    maxConcurrency: 8,
    timeoutMs: 3000,
    retries: 4,
    retryBaseMs: 20,
    retryMaxTimeMs: 20_000,
    retryAfterCapMs: 5000,
    sessionIdleMs: 60 * 60 * 1000,
    pageSize: 25,
    ...overrides,
  };
}

/**
 * A redactor of every account's keys and webhook secret and a logger through it: silent, or at
 * debug into `log` for the tests that read what was logged. The sync and the worker harnesses
 * both need the pair.
 */
export function testLogging(config: Config, log?: CapturedLog): { redactor: Redactor; logger: Logger } {
  const redactor = createRedactor(
    config.accounts.flatMap(({ timetap, webhookSecret }) => [
      timetap.apiKey,
      timetap.privateKey,
      webhookSecret,
    ]),
  );
  const logger = createLogger({
    level: log ? 'debug' : 'silent',
    redactor,
    ...(log ? { destination: log.stream } : {}),
  });
  return { redactor, logger };
}

export function createTestSyncDeps(
  sim: Simulator,
  db: PrismaClient,
  options: { env?: Record<string, string>; log?: CapturedLog; trigger?: string } = {},
): RunDeps & { api: TimeTapApi; logger: Logger; redactor: Redactor } {
  const config = loadConfig(simulatorEnv(sim, options.env), ['timetap']);
  const { redactor, logger } = testLogging(config, options.log);
  const api = createTimeTapApi({
    config: soleAccount(config).timetap,
    logger,
    redactor,
    backoff: { minTimeoutMs: 10, maxTimeoutMs: 50 },
  });
  return {
    ...runSettings(config, soleAccount(config)),
    api,
    db,
    logger,
    redactor,
    staffConcurrency: 8,
    locationConcurrency: 4,
    trigger: options.trigger ?? 'test',
  };
}
