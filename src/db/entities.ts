/**
 * Bulk upserts of the three entity tables, through the shared write path (bulk-upsert.ts): one
 * statement per chunk, unchanged rows filtered out before the INSERT, counts from RETURNING.
 *
 * The input types mirror what the TimeTap client returns, defined here so that the database layer
 * depends on no HTTP code.
 */

import type { LocationRecord, ServiceRecord, StaffRecord } from '../records.js';
import { bulkUpsert, type Column, type UpsertCounts, type WarningLogger } from './bulk-upsert.js';
import type { Db } from './database.js';
import type { RunWrite } from './run-id.js';

export type { UpsertCounts, WarningLogger } from './bulk-upsert.js';

export type EntityTable = 'locations' | 'staff' | 'services';

/**
 * `onlyMissing`: write only rows the mirror lacks, leaving the others as they are (a tombstoned
 * one stays tombstoned: a copy met elsewhere does not prove it is back). A full sync that read the account-wide list uses it for the copies it meets again in
 * per-location lists, so that a copy shaped a little differently there can never overwrite the
 * account-wide one back and forth.
 * `logger`: where a batch that had to leave values out says so (one warning per kind and call,
 * naming the table and columns, never a value).
 * `runId`: the sync run that writes, for the change feed (run-id.ts).
 */
export interface UpsertOptions extends RunWrite {
  onlyMissing?: boolean;
  logger?: WarningLogger;
}

const LOCATION_COLUMNS: Column<LocationRecord>[] = [
  { name: 'business_id', type: 'bigint', pick: (r) => r.businessId },
  { name: 'name', type: 'text', pick: (r) => r.name },
  { name: 'location_type', type: 'text', pick: (r) => r.locationType },
  { name: 'time_zone', type: 'text', pick: (r) => r.timeZone },
];

const STAFF_COLUMNS: Column<StaffRecord>[] = [
  { name: 'business_id', type: 'bigint', pick: (r) => r.businessId },
  { name: 'user_name', type: 'text', pick: (r) => r.userName },
  { name: 'email', type: 'text', pick: (r) => r.email },
  { name: 'first_name', type: 'text', pick: (r) => r.firstName },
  { name: 'last_name', type: 'text', pick: (r) => r.lastName },
  { name: 'full_name', type: 'text', pick: (r) => r.fullName },
  { name: 'time_zone', type: 'text', pick: (r) => r.timeZone },
];

const SERVICE_COLUMNS: Column<ServiceRecord>[] = [
  { name: 'business_id', type: 'bigint', pick: (r) => r.businessId },
  { name: 'name', type: 'text', pick: (r) => r.name },
  { name: 'duration_minutes', type: 'integer', pick: (r) => r.durationMinutes },
  { name: 'service_type', type: 'text', pick: (r) => r.serviceType },
];

export function upsertLocations(
  db: Db,
  rows: readonly LocationRecord[],
  options: UpsertOptions,
): Promise<UpsertCounts> {
  return bulkUpsert(db, { table: 'locations', columns: LOCATION_COLUMNS }, rows, options);
}

export function upsertStaff(
  db: Db,
  rows: readonly StaffRecord[],
  options: UpsertOptions,
): Promise<UpsertCounts> {
  return bulkUpsert(db, { table: 'staff', columns: STAFF_COLUMNS }, rows, options);
}

export function upsertServices(
  db: Db,
  rows: readonly ServiceRecord[],
  options: UpsertOptions,
): Promise<UpsertCounts> {
  return bulkUpsert(db, { table: 'services', columns: SERVICE_COLUMNS }, rows, options);
}
