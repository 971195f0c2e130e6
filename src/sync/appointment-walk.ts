/**
 * The walk of one chunk of appointments (a range of dates): read completely (or marked
 * incomplete, appointment-chunk.ts), upserted with the time TimeTap was read (an older read never
 * overwrites a newer one, db/appointments.ts), the objects nested in each appointment filling gaps
 * in their own tables, and a client that an appointment names but the mirror lacks fetched by id.
 *
 * Tombstones only on a complete chunk, and even then absence is not proof: an appointment the
 * chunk did not see may have been rescheduled to another date, even out of the window. Each is
 * confirmed at `GET /appointments/{calendarId}`: 404 tombstones it; found, it is updated where it
 * now is (a cancelled appointment is not deleted: it has status CANCELLED). The mass-delete guard
 * judges the chunk: when more went missing than it lets go, nothing is asked and nothing marked.
 */

import type { DateRange } from '../dates.js';
import {
  type AppointmentRow,
  type ClientDataPolicy,
  evaluateDeleteGuard,
  missingClientIds,
  tombstoneAppointments,
  unseenAppointments,
  upsertAppointments,
  upsertClients,
  upsertLocations,
  upsertServices,
  upsertStaff,
} from '../db/index.js';
import { describeError, isRetryable, NotFoundError } from '../errors.js';
import type { AppointmentRecord } from '../records.js';
import { type ChunkRead, readAppointmentChunk } from '../timetap/index.js';
import { mapSettled } from './concurrency.js';
import { isFatal, type WalkDeps, writeOf } from './location-walk.js';
import { addCounts, emptyStats, type RunStats } from './stats.js';

export interface AppointmentWalkDeps extends WalkDeps {
  clientData: ClientDataPolicy;
  /** Records asked for per report page; TimeTap answers fewer past its maximum. */
  pageSize: number;
  /** The statuses every report asks for (APPOINTMENTS_STATUSES). */
  statuses: readonly string[];
  /** How often an inconsistent chunk is read before it counts as incomplete. */
  maxReads?: number;
}

/** What a chunk's walk read: recorded per chunk in the run's stats (a type: a JSON record). */
export type ChunkRecord = {
  startDate: string;
  endDate: string;
  pages: number;
  records: number;
  reads: number;
  /** The parts (halves, days, statuses) it was read in at last: 1 when read whole. */
  parts: number;
  complete: boolean;
};

export interface ChunkOutcome {
  range: DateRange;
  /** complete: consistent and tombstoned (unless the guard refused); incomplete: upserted only. */
  status: 'complete' | 'incomplete' | 'failed';
  reasons: string[];
  stats: RunStats;
  read?: ChunkRecord;
  retryable: boolean;
}

const DEFAULT_MAX_READS = 3;

export async function walkAppointmentChunk(
  deps: AppointmentWalkDeps,
  range: DateRange,
): Promise<ChunkOutcome> {
  const stats = emptyStats();
  const label = `appointments ${range.startDate}..${range.endDate}`;
  const readAt = new Date();
  let read: ChunkRead;
  try {
    read = await readAppointmentChunk(
      deps.api,
      { ...range, statuses: deps.statuses },
      {
        pageSize: deps.pageSize,
        maxReads: deps.maxReads ?? DEFAULT_MAX_READS,
      },
    );
  } catch (error) {
    if (isFatal(error)) throw error;
    return {
      range,
      status: 'failed',
      reasons: [`${label}: ${describeError(error)}`],
      stats,
      retryable: isRetryable(error),
    };
  }
  const record: ChunkRecord = {
    ...range,
    pages: read.pages,
    records: read.appointments.length,
    reads: read.reads,
    parts: read.parts,
    complete: read.complete,
  };
  await storeAppointments(deps, read.appointments, readAt, stats);
  addCounts(stats, 'appointments', { skipped: read.skipped.length });
  if (!read.complete) {
    const reason = `${label}: ${read.why ?? 'incomplete'}; nothing in the range was tombstoned`;
    return { range, status: 'incomplete', reasons: [reason], stats, read: record, retryable: false };
  }
  const reasons = await tombstoneUnseen(deps, range, label, read.appointments, stats);
  return { range, status: 'complete', reasons, stats, read: record, retryable: false };
}

/** What storing appointments needs: the database, and the client for the clients it lacks. */
export type StoreDeps = Pick<
  AppointmentWalkDeps,
  'account' | 'db' | 'logger' | 'clientData' | 'api' | 'staffConcurrency' | 'runId'
>;

/** Upserts appointments and fills the gaps they reveal in the other tables. */
export async function storeAppointments(
  deps: StoreDeps,
  appointments: readonly AppointmentRecord[],
  readAt: Date,
  stats: RunStats,
): Promise<void> {
  const { db, logger, clientData } = deps;
  const write = writeOf(deps);
  const nested = { locations: new Map(), staff: new Map(), services: new Map(), clients: new Map() };
  for (const a of appointments) {
    if (a.nested.location) nested.locations.set(a.nested.location.id, a.nested.location);
    if (a.nested.staff) nested.staff.set(a.nested.staff.id, a.nested.staff);
    if (a.nested.service) nested.services.set(a.nested.service.id, a.nested.service);
    if (a.nested.client) nested.clients.set(a.nested.client.id, a.nested.client);
  }
  // A nested copy is a report row's excerpt: it only fills a gap, never overwrites the full copy.
  const onlyMissing = { onlyMissing: true, logger, ...write };
  addCounts(stats, 'locations', await upsertLocations(db, [...nested.locations.values()], onlyMissing));
  addCounts(stats, 'staff', await upsertStaff(db, [...nested.staff.values()], onlyMissing));
  addCounts(stats, 'services', await upsertServices(db, [...nested.services.values()], onlyMissing));
  if (clientData.mode !== 'none') {
    addCounts(
      stats,
      'clients',
      await upsertClients(db, [...nested.clients.values()], {
        clientData,
        onlyMissing: true,
        logger,
        ...write,
      }),
    );
  }
  // The appointments themselves: the writer reads its columns and `raw`, never `nested` (a copy
  // without it cost a second of CPU in a year's backfill).
  const rows: readonly AppointmentRow[] = appointments;
  addCounts(
    stats,
    'appointments',
    await upsertAppointments(db, rows, { readAt, clientData, logger, ...write }),
  );
  if (clientData.mode !== 'none') await fetchMissingClients(deps, appointments, stats);
}

/** A client an appointment names but the mirror lacks (no nested copy came): read by id. */
async function fetchMissingClients(
  deps: StoreDeps,
  appointments: readonly AppointmentRecord[],
  stats: RunStats,
): Promise<void> {
  const named = [...new Set(appointments.flatMap((a) => (a.clientId === undefined ? [] : [a.clientId])))];
  const missing = await missingClientIds(deps.db, deps.account.name, named);
  if (missing.length === 0) return;
  const results = await mapSettled(missing, deps.staffConcurrency, (id) => deps.api.getClient(id));
  const found = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const fatal = results.find((r) => r.status === 'rejected' && isFatal(r.reason));
  if (fatal?.status === 'rejected') throw fatal.reason;
  addCounts(
    stats,
    'clients',
    await upsertClients(deps.db, found, {
      clientData: deps.clientData,
      logger: deps.logger,
      ...writeOf(deps),
    }),
  );
}

async function tombstoneUnseen(
  deps: AppointmentWalkDeps,
  range: DateRange,
  label: string,
  seen: readonly AppointmentRecord[],
  stats: RunStats,
): Promise<string[]> {
  const seenIds = seen.map((a) => a.id);
  // Only the statuses asked for: an appointment of another status is in no report.
  const unseen = await unseenAppointments(deps.db, deps.account.name, range, seenIds, {
    statuses: deps.statuses,
  });
  if (unseen.unseen.length === 0) return [];
  const judge = (doomed: number) =>
    evaluateDeleteGuard({ label, active: unseen.active, doomed, seen: seenIds.length }, deps.guard);
  const before = judge(unseen.unseen.length);
  if (before.refused) {
    addCounts(stats, 'appointments', { held: unseen.unseen.length });
    return [before.reason];
  }

  const readAt = new Date();
  const results = await mapSettled(unseen.unseen, deps.staffConcurrency, (id) => deps.api.getAppointment(id));
  const gone: number[] = [];
  const moved: AppointmentRecord[] = [];
  const undecided: string[] = [];
  results.forEach((result, index) => {
    const id = unseen.unseen[index] as number;
    if (result.status === 'fulfilled') moved.push(result.value);
    else if (result.reason instanceof NotFoundError) gone.push(id);
    else if (isFatal(result.reason)) throw result.reason;
    else undecided.push(`${id}: ${describeError(result.reason)}`);
  });
  // Found at its own URL: rescheduled (or hidden from this report); stored where it now is.
  if (moved.length > 0) await storeAppointments(deps, moved, readAt, stats);
  const reasons: string[] = [];
  const after = judge(gone.length);
  if (after.refused) {
    reasons.push(after.reason);
    addCounts(stats, 'appointments', { held: gone.length });
  } else
    addCounts(stats, 'appointments', {
      deleted: await tombstoneAppointments(deps.db, gone, { readAt, ...writeOf(deps) }),
    });
  if (undecided.length > 0) {
    reasons.push(
      `${label}: ${undecided.length} unseen appointment(s) could not be confirmed (first: ${undecided[0]}); kept`,
    );
  }
  return reasons;
}
