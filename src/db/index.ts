/**
 * The database layer: the Prisma client, migrations, and the write path of a sync (bulk upserts,
 * links, tombstones behind the mass-delete guard, the sync_runs ledger). It knows no HTTP and no
 * queue.
 *
 * Terms: an *entity* is a location, staff member or service (keyed by TimeTap's id); a *link* is
 * a row of location_staff, location_services or staff_services; a *client* is a person who books
 * (personal data, kept as the *client-data policy* allows); an *appointment* is a booking, with
 * the time TimeTap was read (`read_at`); a *tombstone* is `deleted_at` set on a row a completed
 * walk no longer saw; *revived* is a tombstoned row seen again.
 */
export {
  type AccountProfile,
  readAccountProfile,
  recordDoctorResult,
  recordReportEndpoint,
} from './account-profiles.js';
export {
  type AppointmentRow,
  type AppointmentUpsertOptions,
  appointmentPreparer,
  appointmentReadAt,
  countActiveAppointments,
  preparedClientId,
  tombstoneAppointments,
  unseenAppointments,
  upsertAppointments,
  upsertPreparedAppointments,
} from './appointments.js';
export { backfilledHistory, completedChunks, forgetChunks, recordCompletedChunk } from './backfill-chunks.js';
export { BATCH_SIZE } from './batch.js';
export type { PreparedRow } from './bulk-upsert.js';
export {
  type ClientDataMode,
  type ClientDataPolicy,
  emailHash,
  reduceClient,
  scrubClientData,
} from './client-data.js';
export { type ClientUpsertOptions, missingClientIds, upsertClients } from './clients.js';
export { createDatabase, type Database, type Db } from './database.js';
export {
  type ActiveRows,
  countActiveRows,
  deleteBaseline,
  MIRROR_TABLES,
  type MirrorTable,
} from './delete-baseline.js';
export {
  createMemoryDeleteBudget,
  type DeleteBudget,
  type DeleteLimits,
  linkDeleteLimits,
  refusalReason,
} from './delete-budget.js';
export {
  deleteAllowance,
  evaluateDeleteGuard,
  type GuardDecision,
  type GuardOptions,
  type TombstoneResult,
} from './delete-guard.js';
export {
  type EntityTable,
  type UpsertCounts,
  type UpsertOptions,
  upsertLocations,
  upsertServices,
  upsertStaff,
} from './entities.js';
export { type AppointmentRangeState, readFreshness, type ScopeFreshness } from './freshness.js';
export {
  type LinkCounts,
  type LinkResults,
  type LinkState,
  type LinkTable,
  type LocationLinks,
  type RecordedLinks,
  recordLocationLinks,
} from './links.js';
export { type MigrateResult, MigrationError, migrate } from './migrate.js';
export type { RunWrite } from './run-id.js';
export {
  abandonStaleRuns,
  failRunsOf,
  finishRun,
  heartbeatRun,
  lastSuccesses,
  markRemovedAccounts,
  REMOVED_ACCOUNT_TRIGGER,
  type RunOutcome,
  type RunScope,
  type RunStart,
  type RunStatus,
  recentRuns,
  type SyncRunRecord,
  startRun,
  type TableCounts,
} from './sync-runs.js';
export {
  type ReconciledTable,
  setInactive,
  tombstoneEntityRows,
  tombstoneLocationLinks,
  type UnseenRows,
  unseenEntities,
} from './tombstones.js';
