/**
 * The steps of a sync run: the one place where a run starts, walks and ends. `timetap-sync sync`
 * runs them one after another in its process (run-sync.ts); the worker runs the same steps in
 * its jobs (src/queue/), which only decide where each one runs:
 *
 *   begin     the atomic start of a run: one alive per scope (a location sync reads the
 *             location's own object first: an id TimeTap does not know is no run at all)
 *   account   the account-wide lists, and the run's budget of link deletions
 *   location  the walk of one location; a full run has one per location, in any order, anywhere
 *   finish    account-wide tombstones (full runs, on complete evidence), then the run's row
 *
 * Every step heartbeats its run while it works, so that a live run never looks dead.
 */

import type { Config } from '../config.js';
import { startRunIfIdle } from '../db/active-runs.js';
import {
  type ClientDataPolicy,
  countActiveRows,
  type DeleteBudget,
  type DeleteLimits,
  finishRun,
  heartbeatRun,
  linkDeleteLimits,
  upsertLocations,
} from '../db/index.js';
import { describeError, NotFoundError, RunActiveError, UnknownLocationError } from '../errors.js';
import type { Redactor } from '../redact.js';
import type { DateRange, TimeTapLocation } from '../timetap/index.js';
import { tombstoneAccount } from './account-tombstones.js';
import { type AccountSnapshot, walkAccount } from './account-walk.js';
import { type ChunkOutcome, type ChunkRecord, walkAppointmentChunk } from './appointment-walk.js';
import { appointmentWindow, dateChunks, today } from './appointment-window.js';
import { type ClientOutcome, walkClients } from './client-walk.js';
import { type LocationOutcome, type WalkDeps, walkLocation } from './location-walk.js';
import { addCounts, emptyStats, mergeStats, type RunStats } from './stats.js';

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
}

export interface StepDeps extends WalkDeps {
  redactor: Redactor;
  /** How often a step marks its run alive, and when a run without a heartbeat counts as dead. */
  heartbeatMs: number;
  staleRunMs: number;
  /** How much personal data of clients the mirror keeps (MIRROR_CLIENT_DATA). */
  clientData: ClientDataPolicy;
  /** The rolling window of appointments and how it is read (APPOINTMENTS_*). */
  appointments: Config['sync']['appointments'];
}

export interface RunMeta {
  /** `schedule`, `manual`, `cli`, ... */
  trigger: string;
  jobId?: string;
  workerId?: string;
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

/** Starts a run; throws RunActiveError when one of the same scope is alive. */
export async function beginRun(
  deps: StepDeps,
  request: RunRequest,
  meta: RunMeta,
): Promise<{ runId: number; location?: TimeTapLocation }> {
  const location = request.scope === 'location' ? await knownLocation(deps, request.locationId) : undefined;
  const started = await startRunIfIdle(
    deps.db,
    {
      ...request,
      trigger: meta.trigger,
      ...(meta.jobId ? { jobId: meta.jobId } : {}),
      ...(meta.workerId ? { workerId: meta.workerId } : {}),
    },
    { freshWithinMs: deps.staleRunMs },
  );
  if ('activeRunId' in started) throw new RunActiveError(request, started.activeRunId);
  return location ? { runId: started.runId, location } : { runId: started.runId };
}

export interface AccountStep {
  account: AccountSnapshot;
  /** The run's budget of link deletions, account-wide (db/delete-budget.ts). */
  limits: DeleteLimits;
}

export function accountStep(deps: StepDeps, runId: number): Promise<AccountStep> {
  return withHeartbeat(deps, runId, async () => ({
    account: await walkAccount(deps),
    limits: await linkDeleteLimits(deps.db, deps.guard.ratio),
  }));
}

/** One location of a full run, its link deletions drawn from the run's budget. */
export function locationStep(
  deps: StepDeps,
  runId: number,
  locationId: number,
  budget: DeleteBudget,
): Promise<LocationOutcome> {
  return withHeartbeat(deps, runId, () =>
    walkLocation({ ...deps, guard: { ...deps.guard, budget } }, locationId),
  );
}

/** A location sync: the location's own object, then its walk; tombstones limited to its links. */
export function oneLocationStep(
  deps: StepDeps,
  runId: number,
  location: TimeTapLocation,
  stats: RunStats,
): Promise<string[]> {
  return withHeartbeat(deps, runId, async () => {
    addCounts(stats, 'locations', await upsertLocations(deps.db, [location], { logger: deps.logger }));
    const outcome = await walkLocation(deps, location.id);
    mergeStats(stats, outcome.stats);
    return locationReasons([outcome]);
  });
}

/** The clients of the account (client-walk.ts). */
export function clientStep(deps: StepDeps, runId: number): Promise<ClientOutcome> {
  return withHeartbeat(deps, runId, () => walkClients(deps));
}

/** The rolling window of appointments as of `day`, in chunks (appointment-window.ts). */
export function windowChunks(deps: Pick<StepDeps, 'appointments'>, day = today()): DateRange[] {
  const { pastDays, futureDays, chunkDays } = deps.appointments;
  return dateChunks(appointmentWindow(day, pastDays, futureDays), chunkDays);
}

/** One chunk of appointments (appointment-walk.ts). */
export function appointmentChunkStep(deps: StepDeps, runId: number, range: DateRange): Promise<ChunkOutcome> {
  return withHeartbeat(deps, runId, () =>
    walkAppointmentChunk(
      { ...deps, pageSize: deps.appointments.pageSize, statuses: deps.appointments.statuses },
      range,
    ),
  );
}

/**
 * The end of a full run: the reasons it is partial (the account walk's, the locations'), the
 * account-wide tombstones when the evidence is complete, and the run's row.
 */
export function finishFullRun(
  deps: StepDeps,
  runId: number,
  input: {
    account: Pick<
      AccountSnapshot,
      'locationIds' | 'locationsComplete' | 'staffIds' | 'serviceIds' | 'reasons'
    >;
    locations: ReadonlyArray<
      Pick<LocationOutcome, 'locationId' | 'status' | 'seenStaff' | 'seenServices' | 'reasons'>
    >;
    /** Reasons of the other steps (clients, appointment chunks) and of jobs that failed for good. */
    failures?: string[];
    /** Read when the run closes: the tombstones' confirmations are calls of the run too. */
    totals: () => RunTotals;
  },
): Promise<{ status: 'succeeded' | 'partial'; reasons: string[] }> {
  return withHeartbeat(deps, runId, async () => {
    const reasons = [
      ...input.account.reasons,
      ...locationReasons(input.locations),
      ...(input.failures ?? []),
    ];
    reasons.push(...(await tombstoneAccount(deps, input.account, input.locations, input.totals().stats)));
    const status = reasons.length === 0 ? 'succeeded' : 'partial';
    await closeRun(deps, runId, { scope: 'full', status, reasons, totals: input.totals() });
    return { status, reasons: reasons.map((r) => deps.redactor.scrub(r)) };
  });
}

/** Writes the run's end; a full run also records the active rows (the guard's baseline). */
export async function closeRun(
  deps: Pick<StepDeps, 'db' | 'redactor'>,
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
    ...run.totals.counters,
    ...(error ? { error } : {}),
    ...(run.scope === 'full' ? { activeRows: await countActiveRows(deps.db) } : {}),
  });
}

/** Closes a run that a failure stopped; never throws over the failure it reports. */
export async function failRun(
  deps: Pick<StepDeps, 'db' | 'redactor' | 'logger'>,
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

export function locationReasons(
  outcomes: ReadonlyArray<Pick<LocationOutcome, 'locationId' | 'reasons'>>,
): string[] {
  return outcomes.flatMap((o) => o.reasons.map((reason) => `location ${o.locationId}: ${reason}`));
}

/** Runs `work` while marking the run alive every `heartbeatMs`. */
export async function withHeartbeat<T>(
  deps: Pick<StepDeps, 'db' | 'logger' | 'heartbeatMs'>,
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

async function knownLocation(deps: StepDeps, locationId: number): Promise<TimeTapLocation> {
  try {
    return await deps.client.getLocation(locationId);
  } catch (error) {
    throw error instanceof NotFoundError ? new UnknownLocationError(locationId) : error;
  }
}
