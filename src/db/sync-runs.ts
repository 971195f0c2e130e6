/**
 * The `sync_runs` ledger: one row per run, inserted `running` when the run starts and finished
 * exactly once. A running run heart-beats; a run whose process died stops heart-beating and is
 * marked `abandoned` by `abandonStaleRuns`, so no row stays `running` once its run is over. A job
 * that outlives its worker may still finish an abandoned run (finishRun).
 * Timestamps come from the database clock (now()), so that a worker with a skewed clock cannot
 * make a live run look stale or a finished one end before it started.
 */
import type { DateRange } from '../dates.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { Db } from './database.js';
import type { ActiveRows } from './delete-baseline.js';

export type RunScope = 'full' | 'location' | 'backfill';
export type RunStatus = 'running' | 'succeeded' | 'partial' | 'failed' | 'abandoned';
export type FinalStatus = Exclude<RunStatus, 'running'>;

/**
 * A run's counts for one table (`sync_runs.stats` holds one per table): rows inserted, updated
 * (content changed), left unchanged, revived (came back after a tombstone), marked deleted, marked
 * inactive (no list shows them, their own URL still does), records skipped (no usable id), and rows
 * the mass-delete guard held back (they might be gone, and nothing was marked: delete-guard.ts).
 * `held` is what `mirror_freshness_view` reads to say that the guard held, rather than the reasons'
 * prose.
 */
export interface TableCounts {
  inserted: number;
  updated: number;
  unchanged: number;
  revived: number;
  deleted: number;
  inactive: number;
  skipped: number;
  held: number;
}

/** Per table; rows written by older versions may lack the newer counts. */
export type StoredStats = Record<string, Partial<TableCounts>>;

export interface RunStart {
  /** The account the run is for. */
  account: string;
  scope: RunScope;
  locationId?: number;
  /** `schedule`, `manual`, `cli`, ... */
  trigger: string;
  jobId?: string;
  workerId?: string;
}

export interface RunOutcome {
  status: FinalStatus;
  stats: StoredStats;
  apiCalls: number;
  retries: number;
  relogins: number;
  /** Why the run failed or is partial. Must hold no secret: scrubbed by the caller. */
  error?: string;
  /** Full syncs: per table, the active rows as the run ends (the mass-delete guard's baseline). */
  activeRows?: ActiveRows;
  /** What each chunk of appointments read; stored in `stats` as `appointment_chunks`. */
  chunks?: ReadonlyArray<Record<string, unknown>>;
  /**
   * The dates the run was to read, stored in `stats` as `appointment_range`: with the chunks, it
   * tells `mirror_freshness_view` whether every date was read (a chunk that failed left no record).
   */
  range?: DateRange;
}

export interface SyncRunRecord {
  id: number;
  account: string;
  scope: RunScope;
  locationId: number | null;
  trigger: string;
  status: RunStatus;
  startedAt: Date;
  finishedAt: Date | null;
  heartbeatAt: Date;
  stats: StoredStats;
  apiCalls: number;
  retries: number;
  relogins: number;
  error: string | null;
  jobId: string | null;
  workerId: string | null;
}

/** Longest error text kept; a run with thousands of failures says the first ones. */
const MAX_ERROR_LENGTH = 8_000;

const ABANDONED_ERROR = 'process died';

export async function startRun(db: Pick<Db, 'syncRun'>, run: RunStart): Promise<number> {
  const row = await db.syncRun.create({
    data: {
      account: run.account,
      scope: run.scope,
      locationId: run.locationId === undefined ? null : BigInt(run.locationId),
      trigger: run.trigger,
      status: 'running',
      jobId: run.jobId ?? null,
      workerId: run.workerId ?? null,
    },
    select: { id: true },
  });
  return row.id;
}

/**
 * Finishes a run that is `running`, or that the stale check marked `abandoned` (its worker died
 * and it went silent, but its job outlived it: another worker took the job over and brought the
 * run to its end, which is then the truth). A run closed as abandoned by the job that started
 * again is final: the attempt that lost the job must not reopen it when its late writes arrive.
 * Returns false when the run was already finished, so that it is finished once.
 * The error text is stored as given: the caller has passed it through its redactor.
 */
export async function finishRun(db: Db, runId: number, outcome: RunOutcome): Promise<boolean> {
  const error = outcome.error === undefined ? null : truncate(outcome.error);
  const stats = JSON.stringify({
    ...outcome.stats,
    ...(outcome.chunks ? { appointment_chunks: outcome.chunks } : {}),
    ...(outcome.range ? { appointment_range: outcome.range } : {}),
  });
  const activeRows = outcome.activeRows === undefined ? null : JSON.stringify(outcome.activeRows);
  const updated = await db.$executeRaw`
    UPDATE sync_runs
    SET status = ${outcome.status}, finished_at = now(), heartbeat_at = now(), stats = ${stats}::jsonb,
        api_calls = ${outcome.apiCalls}::int, retries = ${outcome.retries}::int, relogins = ${outcome.relogins}::int,
        error = ${error}, active_rows = ${activeRows}::jsonb
    WHERE id = ${runId}::int
      AND (status = 'running' OR (status = 'abandoned' AND error = ${ABANDONED_ERROR}))`;
  return updated > 0;
}

/** Marks the run alive; false when it is no longer `running`. */
export async function heartbeatRun(db: Db, runId: number): Promise<boolean> {
  const updated = await db.$executeRaw`
    UPDATE sync_runs SET heartbeat_at = now() WHERE id = ${runId}::int AND status = 'running'`;
  return updated > 0;
}

/** Marks `abandoned` every running run that has not heart-beaten for `staleAfterMs`; returns how many. */
export async function abandonStaleRuns(db: Db, staleAfterMs: number): Promise<number> {
  return db.$executeRaw`
    UPDATE sync_runs SET status = 'abandoned', finished_at = now(), error = ${ABANDONED_ERROR}
    WHERE status = 'running'
      AND coalesce(heartbeat_at, started_at) < now() - make_interval(secs => ${staleAfterMs / 1000}::double precision)`;
}

/**
 * Marks `failed`, with `error` as the reason, every run still `running` that `workerId` started:
 * what a process does with its own runs when it must end before they can close by themselves (a
 * second SIGTERM). Returns how many.
 */
export async function failRunsOf(db: Db, workerId: string, error: string): Promise<number> {
  return db.$executeRaw`
    UPDATE sync_runs SET status = 'failed', finished_at = now(), heartbeat_at = now(), error = ${truncate(error)}
    WHERE worker_id = ${workerId} AND status = 'running'`;
}

/**
 * When the last successful run of each scope finished (scopes without one are left out): where the
 * worker's `last success` gauge starts, so that a restart does not empty it until the next run.
 */
export async function lastSuccesses(
  db: Db,
): Promise<Array<{ account: string; scope: RunScope; finishedAt: Date }>> {
  const rows = await db.$queryRaw<Array<{ account: string; scope: string; finished_at: Date }>>`
    SELECT account, scope, max(finished_at) AS finished_at FROM sync_runs
    WHERE status = 'succeeded' AND finished_at IS NOT NULL
    GROUP BY account, scope ORDER BY account, scope`;
  return rows.map((row) => ({
    account: row.account,
    scope: row.scope as RunScope,
    finishedAt: row.finished_at,
  }));
}

/** The latest runs, newest first: of every account, or of `account` only. */
export async function recentRuns(db: Db, limit: number, account?: string): Promise<SyncRunRecord[]> {
  const rows = await db.syncRun.findMany({
    ...(account === undefined ? {} : { where: { account } }),
    orderBy: { id: 'desc' },
    take: limit,
  });
  return rows.map((row) => ({
    id: row.id,
    account: row.account,
    scope: row.scope as RunScope,
    locationId: row.locationId === null ? null : Number(row.locationId),
    trigger: row.trigger,
    status: row.status as RunStatus,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    heartbeatAt: row.heartbeatAt,
    stats: asStats(row.stats),
    apiCalls: row.apiCalls,
    retries: row.retries,
    relogins: row.relogins,
    error: row.error,
    jobId: row.jobId,
    workerId: row.workerId,
  }));
}

function asStats(value: Prisma.JsonValue): StoredStats {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as unknown as StoredStats)
    : {};
}

function truncate(text: string): string {
  return text.length <= MAX_ERROR_LENGTH ? text : `${text.slice(0, MAX_ERROR_LENGTH - 20)}… (truncated)`;
}

/** The trigger of the run that says an account is no longer configured. */
export const REMOVED_ACCOUNT_TRIGGER = 'configuration';

/**
 * Accounts that have runs in the mirror but are no longer configured get one finished run that
 * says so (scope `full`, status `failed`): their rows are never deleted, and `status`, the views
 * and the freshness view then tell why nothing updates them. Once per removal: an account whose
 * latest run already says it is not marked again; several workers starting at once take turns.
 * Returns the accounts marked now.
 */
export async function markRemovedAccounts(db: Db, configured: readonly string[]): Promise<string[]> {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('timetap-sync:removed-accounts'))`;
    const rows = await tx.$queryRaw<Array<{ account: string }>>`
      INSERT INTO sync_runs (account, scope, trigger, status, finished_at, heartbeat_at, error)
      SELECT a.account, 'full', ${REMOVED_ACCOUNT_TRIGGER}, 'failed', now(), now(),
        format('account %s is no longer configured: its rows are kept as they are, and no run updates them',
          a.account)
      FROM (SELECT DISTINCT account FROM sync_runs) a
      WHERE a.account <> ALL(${[...configured]}::text[])
        AND (SELECT r.trigger FROM sync_runs r WHERE r.account = a.account ORDER BY r.id DESC LIMIT 1)
          IS DISTINCT FROM ${REMOVED_ACCOUNT_TRIGGER}
      RETURNING account`;
    return rows.map((row) => row.account);
  });
}
