/**
 * A run's row in `sync_runs`, from its start to its end: begun atomically (one alive per scope),
 * heart-beaten while any of its steps works, closed once with its totals and reasons. Whatever
 * runs the steps (run-sync.ts in this process, src/queue/ in jobs) records the run through here.
 */
import type { AccountContext } from '../account.js';
import type { DateRange } from '../dates.js';
import { startRunIfIdle } from '../db/active-runs.js';
import { countActiveRows, type Db, finishRun, heartbeatRun } from '../db/index.js';
import { describeError, NotFoundError, RunActiveError, UnknownLocationError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { LocationRecord } from '../records.js';
import type { Redactor } from '../redact.js';
import type { TimeTapApi } from '../timetap/index.js';
import type { ChunkRecord } from './appointment-walk.js';
import { emptyStats, type RunStats } from './stats.js';

export type SyncRequest = { scope: 'full' } | { scope: 'location'; locationId: number };
/** What a run covers: a sync's scope, or the appointment history a backfill reads. */
export type RunRequest = SyncRequest | { scope: 'backfill' };

/** API calls a run made (the sum over its jobs when it is fanned out). */
export interface Counters {
  apiCalls: number;
  retries: number;
  relogins: number;
}

/** What a run has counted so far. */
export interface RunTotals {
  stats: RunStats;
  counters: Counters;
  /** What each chunk of appointments read (pages, records, re-reads). */
  chunks?: ChunkRecord[];
  /** The dates the run was to read (a full run's window, a backfill's range): what its chunks should cover. */
  range?: DateRange;
}

export interface RunMeta {
  /** `schedule`, `manual`, `cli`, ... */
  trigger: string;
  jobId?: string;
  workerId?: string;
}

export interface RecordDeps {
  /** The account whose runs these are. */
  account: Pick<AccountContext, 'name'>;
  db: Db;
  logger: Logger;
  redactor: Redactor;
  /** How often a step marks its run alive, and when a run without a heartbeat counts as dead. */
  heartbeatMs: number;
  staleRunMs: number;
}

export function emptyTotals(): RunTotals {
  return { stats: emptyStats(), counters: { apiCalls: 0, retries: 0, relogins: 0 } };
}

export function addCounters(a: Counters, b: Partial<Counters> | undefined): Counters {
  return {
    apiCalls: a.apiCalls + (b?.apiCalls ?? 0),
    retries: a.retries + (b?.retries ?? 0),
    relogins: a.relogins + (b?.relogins ?? 0),
  };
}

/** The client's counters since `before` (a snapshot of its stats). */
export function countersOf(
  api: Pick<TimeTapApi, 'stats'>,
  before: Counters = { apiCalls: 0, retries: 0, relogins: 0 },
): Counters {
  const now = api.stats();
  return {
    apiCalls: now.apiCalls - before.apiCalls,
    retries: now.retries - before.retries,
    relogins: now.relogins - before.relogins,
  };
}

/**
 * Starts a run; throws RunActiveError when one of the same scope is alive. A location sync reads
 * the location's own object first: an id TimeTap does not know is no run at all.
 */
export async function beginRun(
  deps: RecordDeps & { api: Pick<TimeTapApi, 'getLocation'> },
  request: RunRequest,
  meta: RunMeta,
): Promise<{ runId: number; location?: LocationRecord }> {
  const location = request.scope === 'location' ? await knownLocation(deps, request.locationId) : undefined;
  const started = await startRunIfIdle(
    deps.db,
    {
      ...request,
      account: deps.account.name,
      trigger: meta.trigger,
      ...(meta.jobId ? { jobId: meta.jobId } : {}),
      ...(meta.workerId ? { workerId: meta.workerId } : {}),
    },
    { freshWithinMs: deps.staleRunMs },
  );
  if ('activeRunId' in started) throw new RunActiveError(request, started.activeRunId);
  return location ? { runId: started.runId, location } : { runId: started.runId };
}

/** Writes the run's end; a full run also records the active rows (the guard's baseline). */
export async function closeRun(
  deps: Pick<RecordDeps, 'account' | 'db' | 'redactor'>,
  runId: number,
  run: {
    scope: RunRequest['scope'];
    status: 'succeeded' | 'partial' | 'failed';
    reasons: string[];
    totals: RunTotals;
  },
): Promise<void> {
  const error = run.reasons.map((r) => deps.redactor.scrub(r)).join('\n');
  await finishRun(deps.db, runId, {
    status: run.status,
    stats: run.totals.stats,
    ...(run.totals.chunks?.length ? { chunks: run.totals.chunks } : {}),
    ...(run.totals.range ? { range: run.totals.range } : {}),
    ...run.totals.counters,
    ...(error ? { error } : {}),
    ...(run.scope === 'full' ? { activeRows: await countActiveRows(deps.db, deps.account.name) } : {}),
  });
}

/** Closes a run that a failure stopped; never throws over the failure it reports. */
export async function failRun(
  deps: Pick<RecordDeps, 'account' | 'db' | 'redactor' | 'logger'>,
  runId: number,
  scope: RunRequest['scope'],
  error: unknown,
  totals: RunTotals,
): Promise<void> {
  await closeRun(deps, runId, { scope, status: 'failed', reasons: [describeError(error)], totals }).catch(
    (closeError: unknown) =>
      deps.logger.error({ runId, err: describeError(closeError) }, 'could not close the failed run'),
  );
}

/** Runs `work` while marking the run alive every `heartbeatMs`. */
export async function withHeartbeat<T>(
  deps: Pick<RecordDeps, 'db' | 'logger' | 'heartbeatMs'>,
  runId: number,
  work: () => Promise<T>,
): Promise<T> {
  const beat = () =>
    heartbeatRun(deps.db, runId).catch((error: unknown) =>
      deps.logger.warn({ runId, err: describeError(error) }, 'heartbeat failed'),
    );
  const timer = setInterval(beat, deps.heartbeatMs);
  timer.unref();
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

async function knownLocation(
  deps: { api: Pick<TimeTapApi, 'getLocation'> },
  locationId: number,
): Promise<LocationRecord> {
  try {
    return await deps.api.getLocation(locationId);
  } catch (error) {
    throw error instanceof NotFoundError ? new UnknownLocationError(locationId) : error;
  }
}
