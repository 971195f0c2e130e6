/**
 * Bulk upserts of the three entity tables. Each chunk of rows is ONE statement: the rows arrive as
 * arrays (`unnest`), the rows whose `content_hash` is unchanged and that are not tombstoned are
 * filtered out before the INSERT, so they are not written (nor even locked): no new row version,
 * `updated_at` untouched. `updated_at` moves only when the content changed; a tombstoned row seen
 * again is revived (`deleted_at` cleared). The counts come from RETURNING (`xmax = 0` is a fresh
 * insert) joined with a pre-image of the rows taken by the same statement.
 *
 * The input types mirror what the TimeTap client returns, defined here so that the database layer
 * depends on no HTTP code.
 */
import { Prisma } from '../generated/prisma/client.js';
import { chunks, collapseById } from './batch.js';
import { type CleanCounter, cleanJson, cleanOptionalString } from './clean.js';
import type { Db } from './client.js';
import { contentHash } from './content-hash.js';

export interface LocationRow {
  id: number;
  businessId?: number;
  name?: string;
  locationType?: string;
  raw: Record<string, unknown>;
}

export interface StaffRow {
  id: number;
  businessId?: number;
  userName?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  fullName?: string;
  timeZone?: string;
  raw: Record<string, unknown>;
}

export interface ServiceRow {
  id: number;
  businessId?: number;
  name?: string;
  durationMinutes?: number;
  serviceType?: string;
  raw: Record<string, unknown>;
}

/**
 * Disjoint outcomes per distinct id: inserted + updated + unchanged + revived = rows written
 * (after collapsing repeated ids). A revived row whose content also changed counts as revived.
 * `cleanedValues`: strings (values or keys) that lost a NUL character or a lone surrogate.
 * A type, not an interface, so that it is also a `Record<string, number>`.
 */
export type UpsertCounts = {
  inserted: number;
  updated: number;
  unchanged: number;
  revived: number;
  cleanedValues: number;
};

export type EntityTable = 'locations' | 'staff' | 'services';

type Value = string | number | null;
interface Column<R> {
  name: string;
  type: 'bigint' | 'integer' | 'text';
  value: (row: R, counter: CleanCounter) => Value;
}

const text =
  <R>(pick: (row: R) => string | undefined) =>
  (row: R, counter: CleanCounter): Value =>
    cleanOptionalString(pick(row), counter);
const num =
  <R>(pick: (row: R) => number | undefined) =>
  (row: R): Value =>
    pick(row) ?? null;

const LOCATION_COLUMNS: Column<LocationRow>[] = [
  { name: 'business_id', type: 'bigint', value: num((r) => r.businessId) },
  { name: 'name', type: 'text', value: text((r) => r.name) },
  { name: 'location_type', type: 'text', value: text((r) => r.locationType) },
];

const STAFF_COLUMNS: Column<StaffRow>[] = [
  { name: 'business_id', type: 'bigint', value: num((r) => r.businessId) },
  { name: 'user_name', type: 'text', value: text((r) => r.userName) },
  { name: 'email', type: 'text', value: text((r) => r.email) },
  { name: 'first_name', type: 'text', value: text((r) => r.firstName) },
  { name: 'last_name', type: 'text', value: text((r) => r.lastName) },
  { name: 'full_name', type: 'text', value: text((r) => r.fullName) },
  { name: 'time_zone', type: 'text', value: text((r) => r.timeZone) },
];

const SERVICE_COLUMNS: Column<ServiceRow>[] = [
  { name: 'business_id', type: 'bigint', value: num((r) => r.businessId) },
  { name: 'name', type: 'text', value: text((r) => r.name) },
  { name: 'duration_minutes', type: 'integer', value: num((r) => r.durationMinutes) },
  { name: 'service_type', type: 'text', value: text((r) => r.serviceType) },
];

export function upsertLocations(db: Db, rows: readonly LocationRow[]): Promise<UpsertCounts> {
  return upsertEntities(db, 'locations', LOCATION_COLUMNS, rows);
}

/**
 * `onlyMissing`: write only rows the mirror lacks (or holds tombstoned), leaving the others as
 * they are. A full sync that read the account-wide list uses it for the copies it meets again in
 * per-location lists, so that a copy shaped a little differently there can never overwrite the
 * account-wide one back and forth.
 */
export interface UpsertOptions {
  onlyMissing?: boolean;
}

export function upsertStaff(
  db: Db,
  rows: readonly StaffRow[],
  options: UpsertOptions = {},
): Promise<UpsertCounts> {
  return upsertEntities(db, 'staff', STAFF_COLUMNS, rows, options);
}

export function upsertServices(
  db: Db,
  rows: readonly ServiceRow[],
  options: UpsertOptions = {},
): Promise<UpsertCounts> {
  return upsertEntities(db, 'services', SERVICE_COLUMNS, rows, options);
}

async function upsertEntities<R extends { id: number; raw: Record<string, unknown> }>(
  db: Db,
  table: EntityTable,
  columns: readonly Column<R>[],
  rows: readonly R[],
  options: UpsertOptions = {},
): Promise<UpsertCounts> {
  const total: UpsertCounts = { inserted: 0, updated: 0, unchanged: 0, revived: 0, cleanedValues: 0 };
  for (const chunk of chunks(collapseById(rows))) {
    const counter: CleanCounter = { cleaned: 0 };
    const ids: number[] = [];
    const raws: string[] = [];
    const hashes: string[] = [];
    const typed: Value[][] = columns.map(() => []);
    for (const row of chunk) {
      const raw = cleanJson(row.raw, counter);
      ids.push(row.id);
      raws.push(JSON.stringify(raw));
      hashes.push(contentHash(raw));
      columns.forEach((column, i) => {
        typed[i]?.push(column.value(row, counter));
      });
    }
    const counts = await db.$queryRaw<Array<{ inserted: number; updated: number; revived: number }>>(
      upsertStatement(table, columns, ids, typed, raws, hashes, options.onlyMissing === true),
    );
    const { inserted = 0, updated = 0, revived = 0 } = counts[0] ?? {};
    total.inserted += inserted;
    total.updated += updated;
    total.revived += revived;
    total.unchanged += chunk.length - inserted - updated - revived;
    total.cleanedValues += counter.cleaned;
  }
  return total;
}

function upsertStatement<R>(
  table: EntityTable,
  columns: readonly Column<R>[],
  ids: number[],
  typed: Value[][],
  raws: string[],
  hashes: string[],
  onlyMissing: boolean,
): Prisma.Sql {
  const contentChanged = onlyMissing ? Prisma.sql`FALSE` : Prisma.sql`TRUE`;
  const names = columns.map((c) => c.name);
  const list = Prisma.raw(names.join(', '));
  const arrays = Prisma.join(columns.map((c, i) => Prisma.sql`${typed[i] ?? []}::${Prisma.raw(c.type)}[]`));
  const sets = Prisma.raw(names.map((n) => `${n} = excluded.${n}`).join(', '));
  const target = Prisma.raw(table);
  return Prisma.sql`
    WITH input AS (
      SELECT * FROM unnest(${ids}::bigint[], ${arrays}, ${raws}::text[], ${hashes}::text[])
        AS i(id, ${list}, raw, content_hash)
    ),
    before AS (
      SELECT t.id, t.content_hash, t.deleted_at FROM ${target} t WHERE t.id IN (SELECT id FROM input)
    ),
    changed AS (
      SELECT i.* FROM input i LEFT JOIN before b ON b.id = i.id
      WHERE b.id IS NULL OR b.deleted_at IS NOT NULL
        OR (${contentChanged} AND b.content_hash IS DISTINCT FROM i.content_hash)
    ),
    written AS (
      INSERT INTO ${target} AS t (id, ${list}, raw, content_hash)
      SELECT id, ${list}, raw::jsonb, content_hash FROM changed ORDER BY id
      ON CONFLICT (id) DO UPDATE SET ${sets}, raw = excluded.raw, content_hash = excluded.content_hash,
        updated_at = CASE WHEN t.content_hash IS DISTINCT FROM excluded.content_hash THEN now() ELSE t.updated_at END,
        deleted_at = NULL
      -- Repeated here for a row that a concurrent writer brought up to date meanwhile.
      WHERE t.deleted_at IS NOT NULL
        OR (${contentChanged} AND t.content_hash IS DISTINCT FROM excluded.content_hash)
      RETURNING t.id, (t.xmax = 0) AS inserted
    )
    SELECT
      count(*) FILTER (WHERE w.inserted)::int AS inserted,
      count(*) FILTER (WHERE NOT w.inserted AND b.deleted_at IS NULL)::int AS updated,
      count(*) FILTER (WHERE NOT w.inserted AND b.deleted_at IS NOT NULL)::int AS revived
    FROM written w LEFT JOIN before b ON b.id = w.id`;
}
