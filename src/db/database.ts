/**
 * The database: the Prisma client (`Db`) over a node-postgres pool (Prisma 7 talks to Postgres through a driver
 * adapter). The pool is ours rather than the adapter's so that its limits are explicit and its
 * `error` events are handled: an idle connection that dies (Postgres restarted, a proxy timed it
 * out) emits `error` on the pool, and an unhandled `error` event would kill the process. It is
 * logged instead; the next query opens a fresh connection.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { Config } from '../config.js';
import { PrismaClient } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';

export type Db = PrismaClient;

/** The session setting that turns history mode off (HISTORY_MODE=off) for a connection. */
export const HISTORY_MODE_SETTING = 'timetap_sync.history_mode';

/** The pool under each Prisma client made here, for the one use Prisma cannot serve (below). */
const pools = new WeakMap<PrismaClient, pg.Pool>();

/**
 * The pg pool under `db`, for streaming `COPY` (copy-staging.ts), which Prisma's raw queries
 * cannot do; undefined for a client not made by `createDatabase`, whose writers then keep to
 * plain statements.
 */
export function rawPool(db: Db): pg.Pool | undefined {
  return pools.get(db);
}

export interface Database {
  prisma: PrismaClient;
  /** The pool under `prisma`, for readiness checks and COPY; queries should go through `prisma`. */
  pool: pg.Pool;
  /** Disconnects Prisma and ends the pool; safe to call twice. */
  close(): Promise<void>;
}

export function createDatabase(config: Config['database'], logger: Logger): Database {
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize,
    connectionTimeoutMillis: config.connectTimeoutMs,
    // The server cancels a statement past this; the client-side query_timeout is a backstop for a
    // server that no longer answers at all, so it must not fire first.
    statement_timeout: config.statementTimeoutMs,
    query_timeout: config.statementTimeoutMs + 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'timetap-sync',
    // The history triggers read it (prisma/migrations/*_appointment_history): a session setting,
    // so that every statement of every path sees the mode without passing it along.
    ...(config.historyMode === 'off' ? { options: `-c ${HISTORY_MODE_SETTING}=off` } : {}),
  });
  pool.on('error', (error) => {
    logger.warn(
      { err: { message: error.message, code: (error as { code?: string }).code } },
      'idle database connection failed',
    );
  });
  const adapter = new PrismaPg(pool, {
    onConnectionError: (error) =>
      logger.warn({ err: { message: error.message } }, 'database connection error'),
  });
  const prisma = new PrismaClient({ adapter });
  pools.set(prisma, pool);
  let closing: Promise<void> | undefined;
  return {
    prisma,
    pool,
    close() {
      closing ??= (async () => {
        await prisma.$disconnect();
        await pool.end();
      })();
      return closing;
    },
  };
}
