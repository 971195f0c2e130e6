/**
 * Storing appointments: each becomes the row its write takes as soon as it is read, the objects
 * nested in it fill gaps in their own tables, and a client that an appointment names but the
 * mirror lacks is fetched by id.
 *
 * A chunk's reader keeps that row (`ChunkStore.keep`), not the parsed record: a chunk is held
 * until it is read whole, four at a time in a worker, and garbage collection walks what they hold
 * again and again. A row is one small object and a few strings; a parsed record, its `raw` and its
 * nested copies are dozens of objects (bench 6: a year's backfill held 5,500 a chunk).
 */
import {
  appointmentPreparer,
  type ClientDataPolicy,
  missingClientIds,
  type PreparedRow,
  preparedClientId,
  upsertClients,
  upsertLocations,
  upsertPreparedAppointments,
  upsertServices,
  upsertStaff,
} from '../db/index.js';
import type {
  AppointmentRecord,
  ClientRecord,
  LocationRecord,
  ServiceRecord,
  StaffRecord,
} from '../records.js';
import { mapSettled } from './concurrency.js';
import { isFatal, type WalkDeps, writeOf } from './location-walk.js';
import { addCounts, type RunStats } from './stats.js';

/** What storing appointments needs: the database, and the client for the clients it lacks. */
export type StoreDeps = Pick<WalkDeps, 'account' | 'db' | 'logger' | 'api' | 'staffConcurrency' | 'runId'> & {
  clientData: ClientDataPolicy;
};

/** The objects nested in appointments, one copy per id (the last one seen). */
interface NestedCopies {
  locations: Map<number, LocationRecord>;
  staff: Map<number, StaffRecord>;
  services: Map<number, ServiceRecord>;
  clients: Map<number, ClientRecord>;
}

/**
 * One chunk's appointments as its reader keeps them (the reader's ChunkOptions.keep): each its
 * row, and the nested objects of every copy read, once per id (each is a copy TimeTap sent, and
 * only fills a gap).
 */
export class ChunkStore {
  private readonly prepare: (a: AppointmentRecord) => PreparedRow;
  private readonly nested: NestedCopies = {
    locations: new Map(),
    staff: new Map(),
    services: new Map(),
    clients: new Map(),
  };

  constructor(private readonly deps: StoreDeps) {
    this.prepare = appointmentPreparer(deps.clientData);
  }

  readonly keep = (a: AppointmentRecord): PreparedRow => {
    const { nested } = this;
    if (a.nested.location) nested.locations.set(a.nested.location.id, a.nested.location);
    if (a.nested.staff) nested.staff.set(a.nested.staff.id, a.nested.staff);
    if (a.nested.service) nested.services.set(a.nested.service.id, a.nested.service);
    if (a.nested.client) nested.clients.set(a.nested.client.id, a.nested.client);
    return this.prepare(a);
  };

  /** Writes `rows` (kept by this store) and the nested objects seen, then fills client gaps. */
  async store(rows: readonly PreparedRow[], readAt: Date, stats: RunStats): Promise<void> {
    await writeNested(this.deps, this.nested, stats);
    const write = writeOf(this.deps);
    const { db, logger, clientData } = this.deps;
    addCounts(
      stats,
      'appointments',
      await upsertPreparedAppointments(db, rows, { readAt, clientData, logger, ...write }),
    );
    await fetchMissingClients(this.deps, rows, stats);
  }
}

/** Upserts appointments and fills the gaps they reveal in the other tables. */
export function storeAppointments(
  deps: StoreDeps,
  appointments: readonly AppointmentRecord[],
  readAt: Date,
  stats: RunStats,
): Promise<void> {
  const store = new ChunkStore(deps);
  return store.store(appointments.map(store.keep), readAt, stats);
}

/**
 * A nested copy is a report row's excerpt: it only fills a gap, never overwrites the full copy.
 * Written before the appointments (an appointment's start_at is computed from its location's
 * zone); the four tables at once, as they are independent.
 */
async function writeNested(deps: StoreDeps, nested: NestedCopies, stats: RunStats): Promise<void> {
  const { db, logger, clientData } = deps;
  const onlyMissing = { onlyMissing: true, logger, ...writeOf(deps) };
  const [locations, staff, services, clients] = await Promise.all([
    upsertLocations(db, [...nested.locations.values()], onlyMissing),
    upsertStaff(db, [...nested.staff.values()], onlyMissing),
    upsertServices(db, [...nested.services.values()], onlyMissing),
    clientData.mode === 'none'
      ? undefined
      : upsertClients(db, [...nested.clients.values()], { clientData, ...onlyMissing }),
  ]);
  addCounts(stats, 'locations', locations);
  addCounts(stats, 'staff', staff);
  addCounts(stats, 'services', services);
  if (clients) addCounts(stats, 'clients', clients);
}

/** A client an appointment names but the mirror lacks (no nested copy came): read by id. */
async function fetchMissingClients(
  deps: StoreDeps,
  rows: readonly PreparedRow[],
  stats: RunStats,
): Promise<void> {
  if (deps.clientData.mode === 'none') return;
  const named = [...new Set(rows.flatMap((row) => preparedClientId(row) ?? []))];
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
