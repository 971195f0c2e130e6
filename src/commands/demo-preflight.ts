/**
 * Before the demo starts anything: its own database is there (created if need be) and Redis
 * answers. What is wrong comes back as one line and an exit code, so that a newcomer's typo or a
 * server that is down ends the demo at once instead of half-way; no line names a password.
 */
import { Redis } from 'ioredis';
import { explainDatabaseError } from '../db/database-problem.js';
import { describeError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import {
  type DemoDatabase,
  DemoDatabaseRefused,
  demoDatabaseUrl,
  ensureDemoDatabase,
} from './demo-database.js';

export type DemoPreflight =
  | { ok: true; database: DemoDatabase }
  | { ok: false; exitCode: number; problem: string };

export async function demoPreflight(configuredUrl: string, redisUrl: string): Promise<DemoPreflight> {
  let database: DemoDatabase;
  try {
    database = await ensureDemoDatabase(configuredUrl);
  } catch (error) {
    if (error instanceof DemoDatabaseRefused) {
      return { ok: false, exitCode: EXIT.usage, problem: `refused: ${error.message}` };
    }
    // The demo creates its database, so what remains is a server that is down or refuses us.
    const explained = explainDatabaseError(error, safeDemoUrl(configuredUrl));
    const problem =
      explained?.message ??
      `cannot reach Postgres at ${describeServer(configuredUrl)} (${reasonOf(error)}): ` +
        'start it, or set DATABASE_URL';
    return { ok: false, exitCode: EXIT.failure, problem };
  }
  const redisProblem = await pingRedis(redisUrl);
  if (redisProblem) {
    return {
      ok: false,
      exitCode: EXIT.failure,
      problem: `cannot reach Redis at ${describeServer(redisUrl)} (${redisProblem}): start it, or set REDIS_URL`,
    };
  }
  return { ok: true, database };
}

/** The host and port of a server's URL, for a message: never its user name or password. */
export function describeServer(url: string): string {
  try {
    const u = new URL(url);
    return u.host || 'localhost';
  } catch {
    return 'the configured server';
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

/** The demo database's URL when it can be derived, for naming it in a message. */
function safeDemoUrl(configuredUrl: string): string {
  try {
    return demoDatabaseUrl(configuredUrl).url;
  } catch {
    return configuredUrl;
  }
}

function reasonOf(error: unknown): string {
  const code = (error as { code?: string }).code;
  return code ?? describeError(error);
}
