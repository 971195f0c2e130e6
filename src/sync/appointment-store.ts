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
  BATCH_SIZE,
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
 * Rows of a chunk read so far from which they are written while the rest is read: a whole batch
 * of the write path (BATCH_SIZE), so that a chunk that fits in one is written once, at
 * its end, as one statement. A larger chunk (a week of a busy account: 5,500 to 21,000 rows) would
 * otherwise stop asking TimeTap for pages while it writes them all: a fifth of its job's time in
 * bench 6. Writing early is safe: each row is a copy TimeTap sent at the chunk's read time, a later
 * copy of the same appointment is written again (the same read time is never older), and nothing
 * is tombstoned until the chunk is read whole.
 */
export const EARLY_WRITE_ROWS = BATCH_SIZE;

function emptyNested(): NestedCopies {
  return { locations: new Map(), staff: new Map(), services: new Map(), clients: new Map() };
}

/**
 * One chunk's appointments as its reader keeps them (the reader's ChunkOptions.keep): each its
 * row, and the nested objects of every copy read, once per id (each is a copy TimeTap sent, and
 * only fills a gap). Rows are written in batches of EARLY_WRITE_ROWS as they come, one batch at a
 * time, and the rest by `store` once the chunk is read.
 */
export class ChunkStore {
  private readonly prepare: (a: AppointmentRecord) => PreparedRow;
  /** Read and not yet written: rows, and nested objects. */
  private pending: PreparedRow[] = [];
  private nested = emptyNested();
  /** The copies written early: one the chunk ends with is not written again. */
  private readonly written = new Set<PreparedRow>();
  private writing: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;
  private readonly earlyWriteRows: number;

  constructor(
    private readonly deps: StoreDeps,
    private readonly readAt: Date,
    private readonly stats: RunStats,
    options: { earlyWriteRows?: number } = {},
  ) {
    this.prepare = appointmentPreparer(deps.clientData);
    this.earlyWriteRows = options.earlyWriteRows ?? EARLY_WRITE_ROWS;
  }

  readonly keep = (a: AppointmentRecord): PreparedRow => {
    const { nested } = this;
    if (a.nested.location) nested.locations.set(a.nested.location.id, a.nested.location);
    if (a.nested.staff) nested.staff.set(a.nested.staff.id, a.nested.staff);
    if (a.nested.service) nested.services.set(a.nested.service.id, a.nested.service);
    if (a.nested.client) nested.clients.set(a.nested.client.id, a.nested.client);
    const row = this.prepare(a);
    this.pending.push(row);
    if (this.pending.length >= this.earlyWriteRows && this.writing === undefined) this.writeEarly();
    return row;
  };

  /**
   * Writes `rows` (the copies the chunk ended with, kept by this store) that were not written
   * early, and the nested objects seen; then fills client gaps.
   */
  async store(rows: readonly PreparedRow[]): Promise<void> {
    await this.settle();
    if (this.failure) throw this.failure.error;
    const rest = this.written.size === 0 ? rows : rows.filter((row) => !this.written.has(row));
    this.pending = [];
    await this.write(rest, this.nested);
    await fetchMissingClients(this.deps, rows, this.stats);
  }

  /** Waits for the batch being written, so that none outlives the chunk (a failed read, too). */
  async settle(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
  }

  private writeEarly(): void {
    const rows = this.pending;
    const nested = this.nested;
    this.pending = [];
    this.nested = emptyNested();
    this.writing = this.write(rows, nested).then(
      () => {
        for (const row of rows) this.written.add(row);
        this.writing = undefined;
        if (this.pending.length >= this.earlyWriteRows) this.writeEarly();
      },
      (error: unknown) => {
        // `store` throws it; the rows are written there again.
        this.failure ??= { error };
        this.writing = undefined;
      },
    );
  }

  private async write(rows: readonly PreparedRow[], nested: NestedCopies): Promise<void> {
    await writeNested(this.deps, nested, this.stats);
    const { db, logger, clientData } = this.deps;
    const { readAt } = this;
    addCounts(
      this.stats,
      'appointments',
      await upsertPreparedAppointments(db, rows, { readAt, clientData, logger, ...writeOf(this.deps) }),
    );
  }
}

/** Upserts appointments and fills the gaps they reveal in the other tables. */
export function storeAppointments(
  deps: StoreDeps,
  appointments: readonly AppointmentRecord[],
  readAt: Date,
  stats: RunStats,
): Promise<void> {
  const store = new ChunkStore(deps, readAt, stats);
  return store.store(appointments.map(store.keep));
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
