/**
 * The jobs of the sync queue: one typed map from job name to payload. Payloads carry ids (and
 * counts), never credentials.
 *
 * - `full-sync`: a full sync. It walks the account-wide lists, fans out one `location-walk` child
 *   per location, waits for them, then tombstones account-wide and closes the run. Its progress
 *   through these steps is kept in its own data so that a retried job resumes where it stopped.
 * - `location-walk`: the walk of one location inside a full sync; retried by itself.
 * - `location-sync`: an on-demand sync of one location, with its own run.
 */
import type { DeleteLimits } from '../db/delete-budget.js';
import type { AccountSnapshot } from '../sync/account-walk.js';
import type { LocationStatus } from '../sync/location-walk.js';
import type { SyncStats } from '../sync/stats.js';

export const JOB = {
  fullSync: 'full-sync',
  locationWalk: 'location-walk',
  locationSync: 'location-sync',
} as const;
export type JobName = (typeof JOB)[keyof typeof JOB];

export const SCHEDULER_ID = 'scheduled-full-sync';

export interface Counters {
  apiCalls: number;
  retries: number;
  relogins: number;
}

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
  >;
  accountStats?: SyncStats;
  /** The run's budget of link deletions, account-wide (src/db/delete-budget.ts). */
  deleteLimits?: DeleteLimits;
  accountCounters?: Counters;
}

export interface LocationWalkData {
  runId: number;
  locationId: number;
  deleteLimits?: DeleteLimits;
}

export interface LocationSyncData {
  trigger: string;
  locationId: number;
}

export interface JobDataMap {
  [JOB.fullSync]: FullSyncData;
  [JOB.locationWalk]: LocationWalkData;
  [JOB.locationSync]: LocationSyncData;
}

/** What a `location-walk` child returns to its parent. */
export interface LocationWalkResult {
  locationId: number;
  status: LocationStatus;
  reasons: string[];
  seenStaff: number[];
  seenServices: number[];
  stats: SyncStats;
  counters: Counters;
}

export interface SkippedResult {
  skipped: string;
}
