/**
 * Records the links seen under one location: which staff work there (`location_staff`), which
 * services it offers (`location_services`), and which services each staff member offers there
 * (`staff_services`). A link already active costs no write (it is filtered out before the INSERT);
 * a tombstoned one is revived. One statement for the three tables (per table and chunk for a
 * location too large for one), keys sorted so that concurrent writers lock in the same order.
 */
import { Prisma } from '../generated/prisma/client.js';
import { BATCH_SIZE, chunks, uniqueSorted } from './batch.js';
import type { Db } from './database.js';
import { queryInRun, type RunWrite } from './run-id.js';

export type LinkTable = 'location_staff' | 'location_services' | 'staff_services';

/** What a location's walk saw. */
export interface LocationLinks {
  staffIds: readonly number[];
  serviceIds: readonly number[];
  staffServices: ReadonlyArray<readonly [staffId: number, serviceId: number]>;
}

/** A type, not an interface, so that it is also a `Record<string, number>`. */
export type LinkCounts = { inserted: number; revived: number; unchanged: number };

export type LinkResults = Record<LinkTable, LinkCounts>;

/**
 * Per link table, after recording: the location's active links and those among them the walk
 * did not see. What the tombstones' guard decides on (tombstones.ts), counted by the recording
 * statement itself so that tombstoning needs no read of its own.
 */
export type LinkState = Record<LinkTable, { active: number; unseen: number }>;

/** The counts, and `state` when the location's links were recorded in one statement. */
export type RecordedLinks = LinkResults & { state?: LinkState };

/** The key columns of each link table after `location_id`. */
export const LINK_KEYS: Record<LinkTable, readonly string[]> = {
  location_staff: ['staff_id'],
  location_services: ['service_id'],
  staff_services: ['staff_id', 'service_id'],
};

/**
 * Key columns as `unnest` arguments: one bigint array per column, each sent as the text of an
 * array literal. Prisma converts an array parameter element by element; one string of digits
 * costs it nothing (measured: 900 pairs, 2.5-12 ms as arrays, 1.5-2.4 ms as text). The keys are
 * integers (the TimeTap client admits no other id), so the text needs no quoting.
 */
export function keyArrays(columns: number[][]): Prisma.Sql {
  return Prisma.join(columns.map((values) => Prisma.sql`${bigintArray(values)}::bigint[]`));
}

function bigintArray(values: readonly number[]): string {
  for (const value of values) {
    if (!Number.isSafeInteger(value)) throw new TypeError(`a link key is not an integer: ${String(value)}`);
  }
  return `{${values.join(',')}}`;
}

/** The seen keys of each link table, distinct and sorted, as one array per key column. */
export function linkKeyColumns(seen: LocationLinks): Record<LinkTable, number[][]> {
  return {
    location_staff: [uniqueSorted(seen.staffIds)],
    location_services: [uniqueSorted(seen.serviceIds)],
    staff_services: pairColumns(seen.staffServices),
  };
}

export async function recordLocationLinks(
  db: Db,
  locationId: number,
  seen: LocationLinks,
  { account, runId }: RunWrite,
): Promise<RecordedLinks> {
  const columns = linkKeyColumns(seen);
  const tables = Object.keys(LINK_KEYS) as LinkTable[];
  // The usual location fits one chunk per table: then its three tables cost one round trip.
  if (tables.every((table) => (columns[table][0]?.length ?? 0) <= BATCH_SIZE)) {
    const statements = tables.map(
      (table) =>
        Prisma.sql`${Prisma.raw(`${table}_written`)} AS (${insertLinks(table, account, locationId, columns[table])})`,
    );
    // The active and unseen counts read the table as it was before this statement: the rows it
    // inserts or revives are all seen ones, so the active count grows by them and the unseen
    // count stays.
    const scope = locationScope(account, locationId);
    const counts = tables.map(
      (table) =>
        Prisma.sql`(SELECT count(*) FILTER (WHERE inserted) FROM ${Prisma.raw(`${table}_written`)})::int AS ${Prisma.raw(`${table}_inserted`)},
        (SELECT count(*) FILTER (WHERE NOT inserted) FROM ${Prisma.raw(`${table}_written`)})::int AS ${Prisma.raw(`${table}_revived`)},
        ${activeAndUnseen(table, scope, columns[table])}`,
    );
    const rows = await queryInRun<Record<string, number>>(
      db,
      runId,
      Prisma.sql`WITH ${Prisma.join(statements)} SELECT ${Prisma.join(counts)}`,
    );
    const row = rows[0] ?? {};
    const result = { state: {} } as RecordedLinks & { state: LinkState };
    for (const table of tables) {
      const inserted = row[`${table}_inserted`] ?? 0;
      const revived = row[`${table}_revived`] ?? 0;
      result[table] = { inserted, revived, unchanged: (columns[table][0]?.length ?? 0) - inserted - revived };
      result.state[table] = {
        active: (row[`${table}_active`] ?? 0) + inserted + revived,
        unseen: row[`${table}_unseen`] ?? 0,
      };
    }
    return result;
  }
  return {
    location_staff: await recordLinks(db, 'location_staff', locationId, columns.location_staff, {
      account,
      runId,
    }),
    location_services: await recordLinks(db, 'location_services', locationId, columns.location_services, {
      account,
      runId,
    }),
    staff_services: await recordLinks(db, 'staff_services', locationId, columns.staff_services, {
      account,
      runId,
    }),
  };
}

async function recordLinks(
  db: Db,
  table: LinkTable,
  locationId: number,
  columns: number[][],
  { account, runId }: RunWrite,
): Promise<LinkCounts> {
  const total: LinkCounts = { inserted: 0, revived: 0, unchanged: 0 };
  const length = columns[0]?.length ?? 0;
  for (const range of chunks(Array.from({ length }, (_, i) => i))) {
    const start = range[0] ?? 0;
    const slice = columns.map((column) => column.slice(start, start + range.length));
    const rows = await queryInRun<{ inserted: number; revived: number }>(
      db,
      runId,
      Prisma.sql`
        WITH written AS (${insertLinks(table, account, locationId, slice)})
        SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS revived
        FROM written`,
    );
    const { inserted = 0, revived = 0 } = rows[0] ?? {};
    total.inserted += inserted;
    total.revived += revived;
    total.unchanged += range.length - inserted - revived;
  }
  return total;
}

/**
 * Inserts the seen links that are not active yet and revives tombstoned ones; RETURNING says
 * which were inserted (`xmax = 0`). Active links are filtered out first: they cost no write.
 */
function insertLinks(table: LinkTable, account: string, locationId: number, columns: number[][]): Prisma.Sql {
  const keys = LINK_KEYS[table];
  const target = Prisma.raw(table);
  const list = Prisma.raw(keys.join(', '));
  const matches = Prisma.raw(keys.map((k) => `e.${k} = i.${k}`).join(' AND '));
  return Prisma.sql`
    INSERT INTO ${target} AS t (account, location_id, ${list})
    SELECT ${account}, ${locationId}::bigint, ${list} FROM unnest(${keyArrays(columns)}) AS i(${list})
    WHERE NOT EXISTS (
      SELECT 1 FROM ${target} e
      WHERE e.account = ${account} AND e.location_id = ${locationId}::bigint AND ${matches} AND e.deleted_at IS NULL
    )
    ORDER BY ${list}
    ON CONFLICT (account, location_id, ${list}) DO UPDATE SET deleted_at = NULL WHERE t.deleted_at IS NOT NULL
    RETURNING (t.xmax = 0) AS inserted`;
}

/** The links of one location of one account, as a condition on the link table `t`. */
export function locationScope(account: string, locationId: number): Prisma.Sql {
  return Prisma.sql`t.account = ${account} AND t.location_id = ${locationId}::bigint`;
}

/** Sorted, then repeats dropped as neighbours: no key strings (a location has ~1,000 pairs, twice a walk). */
function pairColumns(pairs: LocationLinks['staffServices']): number[][] {
  const sorted = [...pairs].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const staff: number[] = [];
  const services: number[] = [];
  for (const [staffId, serviceId] of sorted) {
    const last = staff.length - 1;
    if (last >= 0 && staff[last] === staffId && services[last] === serviceId) continue;
    staff.push(staffId);
    services.push(serviceId);
  }
  return [staff, services];
}

/**
 * The keys of the active links in `scope` that are not among the seen ones. EXCEPT rather than
 * NOT EXISTS: a hashed set operation whatever the planner's statistics say (a freshly filled table
 * has none, and the anti-join then degrades to a nested loop).
 */
export function unseenLinkKeys(table: LinkTable, scope: Prisma.Sql, seen: number[][]): Prisma.Sql {
  const keyList = Prisma.raw(LINK_KEYS[table].map((k) => `t.${k}`).join(', '));
  return Prisma.sql`SELECT ${keyList} FROM ${Prisma.raw(table)} t WHERE ${scope} AND t.deleted_at IS NULL
    EXCEPT SELECT * FROM unnest(${keyArrays(seen)})`;
}

/** Two output columns, `<table>_active` and `<table>_unseen`: the counts of LinkState, read-only. */
export function activeAndUnseen(table: LinkTable, scope: Prisma.Sql, seen: number[][]): Prisma.Sql {
  return Prisma.sql`
    (SELECT count(*) FROM ${Prisma.raw(table)} t WHERE ${scope} AND t.deleted_at IS NULL)::int AS ${Prisma.raw(`${table}_active`)},
    (SELECT count(*) FROM (${unseenLinkKeys(table, scope, seen)}) unseen)::int AS ${Prisma.raw(`${table}_unseen`)}`;
}
