/**
 * The jobs of the sync queue, as one typed map from job name to payload and result (like
 * graphile-worker's task list): `addJob` takes only the payload of its name, and the worker's
 * processors (processors.ts) are typed by the same map. Payloads carry ids (and counts), never
 * credentials.
 *
 * - `full-sync`: a full sync. It runs the steps of a run (src/sync/run-steps.ts): the account, then
 *   one `location-walk` child per location, then the finish. Where it stands is kept in its own
 *   data, so that a retried job resumes where it stopped.
 * - `location-walk`: the location step of a full sync; retried by itself.
 * - `client-walk`, `appointment-chunk`: the client step and one chunk of the window of
 *   appointments of a full sync; each retried by itself.
 * - `location-sync`: an on-demand sync of one location, with its own run.
 * - `backfill`: the appointment history of a range of dates, older than the rolling window, as
 *   `appointment-chunk` children; chunks a backfill already read completely are not read again.
 * - `appointment-event`: one appointment a TimeTap webhook said changed, read at its own URL;
 *   events for one appointment that arrive while its job waits are one job.
 */
import type { JobsOptions, Queue } from 'bullmq';
import type { DeleteLimits } from '../db/delete-budget.js';
import type { AccountSnapshot, Authoritative } from '../sync/account-walk.js';
import type { ChunkOutcome } from '../sync/appointment-walk.js';
import type { ClientOutcome } from '../sync/client-walk.js';
import type { LocationOutcome } from '../sync/location-walk.js';
import type { Counters } from '../sync/run-steps.js';
import type { SyncSummary } from '../sync/run-sync.js';
import type { RunStats } from '../sync/stats.js';

export const JOB = {
  fullSync: 'full-sync',
  locationWalk: 'location-walk',
  clientWalk: 'client-walk',
  appointmentChunk: 'appointment-chunk',
  locationSync: 'location-sync',
  backfill: 'backfill',
  appointmentEvent: 'appointment-event',
} as const;
export type JobName = (typeof JOB)[keyof typeof JOB];

export const SCHEDULER_ID = 'scheduled-full-sync';

export type FullSyncStep = 'start' | 'fan-out' | 'finish';

export interface FullSyncData {
  trigger: string;
  step?: FullSyncStep;
  runId?: number;
  /** When the current run started (epoch ms), for its duration. */
  startedAt?: number;
  account?: Pick<
    AccountSnapshot,
    'locationIds' | 'locationsComplete' | 'staffIds' | 'serviceIds' | 'reasons'
  > & { authoritative?: Authoritative };
  accountStats?: RunStats;
  /** The run's budget of link deletions, account-wide (src/db/delete-budget.ts). */
  deleteLimits?: DeleteLimits;
  accountCounters?: Counters;
}

export interface LocationWalkData {
  runId: number;
  locationId: number;
  deleteLimits: DeleteLimits;
  /** Which account-wide lists were complete: their copies are stored, not the location's. */
  authoritative?: Authoritative;
}

export interface ClientWalkData {
  runId: number;
}

export interface AppointmentChunkData {
  runId: number;
  startDate: string;
  endDate: string;
  /** A chunk of a backfill: once complete, recorded so that it is not read again. */
  backfill?: boolean;
}

export interface BackfillData {
  trigger: string;
  /** The history to read, `YYYY-MM-DD`, inclusive. */
  from: string;
  to: string;
  /** Read the range again, even the chunks an earlier backfill completed. */
  again?: boolean;
  step?: 'start' | 'finish';
  runId?: number;
  startedAt?: number;
  /** Chunks that earlier backfills had already read completely. */
  skipped?: number;
}

export interface BackfillResult {
  runId: number;
  scope: 'backfill';
  status: 'succeeded' | 'partial';
  chunks: number;
  skipped: number;
  stats: RunStats;
  durationMs: number;
  reasons: string[];
}

export interface LocationSyncData {
  trigger: string;
  locationId: number;
}

export interface AppointmentEventData {
  calendarId: number;
  /** When the webhook was received (epoch ms): the lag is measured from here to the row. */
  receivedAt: number;
}

export interface AppointmentEventResult {
  calendarId: number;
  outcome: 'stored' | 'tombstoned' | 'current';
  /** From the webhook's receipt to the row written, in ms. */
  lagMs: number;
  stats: RunStats;
  counters: Counters;
}

/** A job that found another run of its scope alive: it did nothing, and says why. */
export interface SkippedResult {
  skipped: string;
}

export interface FullSyncResult {
  runId: number;
  scope: 'full';
  status: 'succeeded' | 'partial';
  stats: RunStats;
  durationMs: number;
  reasons: string[];
}

/** What a `location-walk` child returns to its parent: the location's outcome and its API calls. */
export type LocationWalkResult = Omit<LocationOutcome, 'retryable'> & { counters: Counters };
export type ClientWalkResult = Omit<ClientOutcome, 'retryable'> & { counters: Counters };
export type AppointmentChunkResult = Omit<ChunkOutcome, 'retryable'> & { counters: Counters };

export interface JobTypes {
  [JOB.fullSync]: { data: FullSyncData; result: FullSyncResult | SkippedResult };
  [JOB.locationWalk]: { data: LocationWalkData; result: LocationWalkResult };
  [JOB.clientWalk]: { data: ClientWalkData; result: ClientWalkResult };
  [JOB.appointmentChunk]: { data: AppointmentChunkData; result: AppointmentChunkResult };
  [JOB.locationSync]: { data: LocationSyncData; result: SyncSummary | SkippedResult };
  [JOB.backfill]: { data: BackfillData; result: BackfillResult | SkippedResult };
  [JOB.appointmentEvent]: { data: AppointmentEventData; result: AppointmentEventResult };
}
export type JobData<N extends JobName> = JobTypes[N]['data'];
export type JobResult<N extends JobName> = JobTypes[N]['result'];

/** Adds a job whose payload matches its name. */
export function addJob<N extends JobName>(queue: Queue, name: N, data: JobData<N>, options: JobsOptions) {
  return queue.add(name, data, options);
}
