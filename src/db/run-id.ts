/**
 * The change feed's `run_id` (prisma/migrations/*_change_feed): its triggers read the setting
 * `timetap_sync.run_id` of the transaction that writes. A sync run's writers pass their run's id
 * (`RunWrite`), and each write runs in one transaction with the setting made local to it
 * (`set_config(..., true)`): the pool's connections are shared by runs and webhooks at once, so a
 * session setting would leak from one to the other. A write outside a run (a webhook's)
 * passes none and runs as before, with no extra transaction: its notifications carry null.
 */
import type { Prisma } from '../generated/prisma/client.js';
import { type Db, rawPool } from './database.js';

/** The setting the change feed's triggers read. */
export const RUN_ID_SETTING = 'timetap_sync.run_id';

/**
 * What every writer of the mirror takes: the account whose rows it writes (the first column of
 * every key), and the sync run that writes (the `sync_runs` row; none outside a run).
 */
export interface RunWrite {
  account: string;
  runId?: number | undefined;
}

/** `db.$queryRaw(statement)`, inside the run's transaction when there is a run. */
export async function queryInRun<T>(db: Db, runId: number | undefined, statement: Prisma.Sql): Promise<T[]> {
  if (runId === undefined) return db.$queryRaw<T[]>(statement);
  const [, rows] = await db.$transaction([setRunId(db, runId), db.$queryRaw<T[]>(statement)], limits(db));
  return rows;
}

/** `db.$executeRaw(statement)`, inside the run's transaction when there is a run. */
export async function executeInRun(
  db: Db,
  runId: number | undefined,
  statement: Prisma.Sql,
): Promise<number> {
  if (runId === undefined) return db.$executeRaw(statement);
  const [, count] = await db.$transaction([setRunId(db, runId), db.$executeRaw(statement)], limits(db));
  return count;
}

/**
 * The statement that sets the run for the rest of an open transaction, for a raw connection
 * (copy-staging.ts), which sends it with its BEGIN: no round trip of its own. A literal, so the id
 * is checked to be an integer first.
 */
export function setLocalRunId(runId: number): string {
  if (!Number.isSafeInteger(runId)) throw new TypeError(`a run id is not an integer: ${String(runId)}`);
  return `SET LOCAL ${RUN_ID_SETTING} = '${runId}'`;
}

/** What a client not made by createDatabase gets: that function's defaults (config.ts). */
const FALLBACK = { connectMs: 10_000, queryMs: 65_000 };

/**
 * Prisma holds a transaction to timers of its own (2 s to get a connection, 5 s in all), which a
 * plain statement does not have: a run's write would fail under load where the same write outside
 * a run waits. It is held to the limits of every statement instead: the pool's wait for a
 * connection, and the client's statement timer (database.ts), plus 5 s for the transaction's
 * short statements around it (BEGIN, the setting, COMMIT).
 */
function limits(db: Db): { maxWait: number; timeout: number } {
  const options = rawPool(db)?.options;
  return {
    maxWait: options?.connectionTimeoutMillis || FALLBACK.connectMs,
    timeout: (options?.query_timeout || FALLBACK.queryMs) + 5_000,
  };
}

function setRunId(db: Db, runId: number) {
  return db.$executeRaw`SELECT set_config(${RUN_ID_SETTING}, ${String(runId)}, true)`;
}
