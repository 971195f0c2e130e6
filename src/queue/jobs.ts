import type { PlanScope, Step, StepKind } from '../sync/plan.js';
import type { Counters } from '../sync/run-record.js';
import type { SyncSummary } from '../sync/run-sync.js';
import type { RunStats } from '../sync/stats.js';
import type { AccountFindings, StepResult } from '../sync/steps.js';

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

/** The job that runs each kind of step. */
export const STEP_JOB = {
  clients: JOB.clientWalk,
  location: JOB.locationWalk,
  chunk: JOB.appointmentChunk,
} as const satisfies Record<StepKind, JobName>;
export type StepJobName = (typeof STEP_JOB)[StepKind];

/** The job scheduler of the `default` account: the id it always had, so that an upgrade keeps it. */
export const SCHEDULER_ID = 'scheduled-full-sync';

/** Every job's account; absent in jobs queued before there were accounts, which are `default`'s. */
export interface AccountData {
  account?: string;
}

/** Where a run's parent job stands: begun (and, for a full sync, the account step), fanned out, finished. */
export type RunJobStep = 'start' | 'fan-out' | 'finish';

interface RunJobData extends AccountData {
  trigger: string;
  step?: RunJobStep;
  runId?: number;
  /** When the current run started (epoch ms), for its duration and the window's day. */
  startedAt?: number;
}

export interface FullSyncData extends RunJobData {
  /** What the account step found (step `fan-out` on). */
  found?: AccountFindings;
  accountCounters?: Counters;
}

export interface BackfillData extends RunJobData {
  /** The history to read, `YYYY-MM-DD`, inclusive. */
  from: string;
  to: string;
  /** Read the range again, even the chunks an earlier backfill completed. */
  again?: boolean;
  /** Chunks that earlier backfills had already read completely. */
  skipped?: number;
}

/** One step of a run (src/sync/steps.ts), with what it needs of its run. */
export interface StepData extends AccountData {
  runId: number;
  scope: PlanScope;
  step: Step;
  /** Full runs: what the account step found that location steps need. */
  found?: Pick<AccountFindings, 'authoritative' | 'deleteLimits'>;
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

export interface LocationSyncData extends AccountData {
  trigger: string;
  locationId: number;
}

export interface AppointmentEventData extends AccountData {
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

/** What a step's job returns to its parent: the step's result with the API calls it made. */
export type StepJobResult = Omit<StepResult, 'retryable'> & { counters: Counters };

export interface JobTypes {
  [JOB.fullSync]: { data: FullSyncData; result: FullSyncResult | SkippedResult };
  [JOB.locationWalk]: { data: StepData; result: StepJobResult };
  [JOB.clientWalk]: { data: StepData; result: StepJobResult };
  [JOB.appointmentChunk]: { data: StepData; result: StepJobResult };
  [JOB.locationSync]: { data: LocationSyncData; result: SyncSummary | SkippedResult };
  [JOB.backfill]: { data: BackfillData; result: BackfillResult | SkippedResult };
  [JOB.appointmentEvent]: { data: AppointmentEventData; result: AppointmentEventResult };
}
export type JobData<N extends JobName> = JobTypes[N]['data'];
export type JobResult<N extends JobName> = JobTypes[N]['result'];
