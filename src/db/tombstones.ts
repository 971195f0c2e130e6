/**
 * Tombstones: `deleted_at = now()` on active rows that TimeTap showed to be gone. Rows are never
 * removed, so reports can still join history, and a row that comes back is revived by the next
 * upsert.
 * - Links (per location): the active links a complete walk of the location did not see, behind
 *   the mass-delete guard (delete-guard.ts), or the run's account-wide budget in a full sync.
 * - Entities and clients (account-wide): absence from a list is not proof, so the sync layer
 *   confirms each unseen row through its own URL (sync/account-tombstones.ts); this module reads
 *   the unseen rows and marks what was confirmed: gone (404) or inactive (still answered, not
 *   listed).
 * Appointments are tombstoned per range of dates (appointments.ts).
 */
import { Prisma } from '../generated/prisma/client.js';
import type { Db } from './database.js';
import { evaluateDeleteGuard, type GuardOptions, type TombstoneResult } from './delete-guard.js';
import type { EntityTable } from './entities.js';
import {
  activeAndUnseen,
  keyArrays,
  LINK_KEYS,
  type LinkState,
  type LinkTable,
  type LocationLinks,
  linkKeyColumns,
  locationScope,
  unseenLinkKeys,
} from './links.js';
import { executeInRun, queryInRun, type RunWrite } from './run-id.js';

/** The tables reconciled row by row against each row's own URL: the entities, and clients. */
export type ReconciledTable = EntityTable | 'clients';

const LINK_TABLES: readonly LinkTable[] = ['location_staff', 'location_services', 'staff_services'];

export interface UnseenRows {
  /** Active rows in the table. */
  active: number;
  /** Unseen, not marked inactive yet: what a list stopped showing since the last run. */
  missing: number[];
  /** Unseen and already inactive: confirmed again on every full sync. */
  inactive: number[];
}

/**
 * The account's active rows of an entity table (or clients) whose id is not among `seenIds` (one
 * read-only statement).
 */
export async function unseenEntities(
  db: Db,
  account: string,
  table: ReconciledTable,
  seenIds: readonly number[],
): Promise<UnseenRows> {
  const target = Prisma.raw(table);
  const seen = [...new Set(seenIds)];
  // EXCEPT rather than an anti-join: hashed whatever the planner's statistics say (links.ts).
  const rows = await db.$queryRaw<Array<{ active: number; missing: bigint[]; inactive: bigint[] }>>`
    WITH unseen AS (
      SELECT id FROM ${target} WHERE account = ${account} AND deleted_at IS NULL
      EXCEPT SELECT unnest(${seen}::bigint[])
    )
    SELECT
      (SELECT count(*) FROM ${target} WHERE account = ${account} AND deleted_at IS NULL)::int AS active,
      (SELECT coalesce(array_agg(t.id ORDER BY t.id), '{}') FROM ${target} t JOIN unseen u USING (id)
        WHERE t.account = ${account} AND t.inactive_at IS NULL) AS missing,
      (SELECT coalesce(array_agg(t.id ORDER BY t.id), '{}') FROM ${target} t JOIN unseen u USING (id)
        WHERE t.account = ${account} AND t.inactive_at IS NOT NULL) AS inactive`;
  const row = rows[0];
  return {
    active: row?.active ?? 0,
    missing: (row?.missing ?? []).map(Number),
    inactive: (row?.inactive ?? []).map(Number),
  };
}

/**
 * Marks entity rows deleted: their own URL answered 404. A location takes its active links with
 * it (those are not counted). Returns how many rows were marked.
 */
export async function tombstoneEntityRows(
  db: Db,
  table: ReconciledTable,
  ids: readonly number[],
  { account, runId }: RunWrite,
): Promise<number> {
  if (ids.length === 0) return 0;
  const target = Prisma.raw(table);
  if (table !== 'locations') {
    return executeInRun(
      db,
      runId,
      Prisma.sql`UPDATE ${target} SET deleted_at = now()
        WHERE account = ${account} AND id = ANY(${[...ids]}::bigint[]) AND deleted_at IS NULL`,
    );
  }
  const unlinked = LINK_TABLES.map(
    (link) => Prisma.sql`${Prisma.raw(`${link}_gone`)} AS (
      UPDATE ${Prisma.raw(link)} SET deleted_at = now()
      WHERE account = ${account} AND location_id IN (SELECT id FROM marked) AND deleted_at IS NULL
      RETURNING 1)`,
  );
  const rows = await queryInRun<{ marked: number }>(
    db,
    runId,
    Prisma.sql`
      WITH marked AS (
        UPDATE locations SET deleted_at = now()
        WHERE account = ${account} AND id = ANY(${[...ids]}::bigint[]) AND deleted_at IS NULL
        RETURNING id
      ), ${Prisma.join(unlinked)}
      SELECT (SELECT count(*) FROM marked)::int AS marked`,
  );
  return rows[0]?.marked ?? 0;
}

/**
 * `inactive_at`: set on rows that a list omits while their own URL still answers, cleared on rows
 * a list shows again. Only rows whose state changes are written.
 */
export async function setInactive(
  db: Db,
  table: ReconciledTable,
  ids: readonly number[],
  inactive: boolean,
  { account, runId }: RunWrite,
): Promise<number> {
  if (ids.length === 0) return 0;
  const target = Prisma.raw(table);
  const list = [...new Set(ids)];
  return executeInRun(
    db,
    runId,
    inactive
      ? Prisma.sql`
        UPDATE ${target} SET inactive_at = now()
        WHERE account = ${account} AND id = ANY(${list}::bigint[]) AND deleted_at IS NULL AND inactive_at IS NULL`
      : Prisma.sql`
        UPDATE ${target} SET inactive_at = NULL
        WHERE account = ${account} AND id = ANY(${list}::bigint[]) AND inactive_at IS NOT NULL`,
  );
}

/**
 * Marks the location's active links that the walk did not see, within that location only. Each
 * link table is its own guarded step: one refused table leaves the others to go ahead.
 * `state`: the counts that recording the same `seen` links returned (recordLocationLinks), which
 * spares a read; without it they are read here.
 */
export async function tombstoneLocationLinks(
  db: Db,
  locationId: number,
  seen: LocationLinks,
  guard: GuardOptions,
  state: LinkState | undefined,
  { account, runId }: RunWrite,
): Promise<Record<LinkTable, TombstoneResult>> {
  const columns = linkKeyColumns(seen);
  const scope = locationScope(account, locationId);
  const results = {} as Record<LinkTable, TombstoneResult>;
  // Per table, the active links and those the walk did not see; the guard decides on those
  // counts, and only a table with something to mark costs a write. (Links are written for one
  // location by one walk at a time, so the counts hold until the mark.)
  const counts = state ?? (await countLinks(db, scope, columns));
  const allowed: LinkTable[] = [];
  for (const table of LINK_TABLES) {
    const { active, unseen } = counts[table];
    if (unseen === 0) {
      results[table] = { refused: false, deleted: 0 };
      continue;
    }
    const label = `${table} links of location ${locationId}`;
    const decision =
      guard.budget && !guard.allowMassDelete
        ? await guard.budget.reserve(table, unseen)
        : evaluateDeleteGuard({ label, active, doomed: unseen, seen: columns[table][0]?.length ?? 0 }, guard);
    if ('reason' in decision) {
      results[table] = {
        refused: true,
        reason: guard.budget ? `${label}: ${decision.reason}` : decision.reason,
        held: unseen,
      };
      continue;
    }
    allowed.push(table);
  }
  const deleted = await markUnseenLinks(db, scope, allowed, columns, runId);
  for (const table of allowed) results[table] = { refused: false, deleted: deleted[table] };
  return results;
}

/**
 * Seen keys up to which the unseen links are marked through a hashed NOT IN: its hash table must
 * fit the default work_mem (4MB, about 60 bytes a key pair), or Postgres rescans the keys per row.
 */
export const HASHED_SEEN_KEYS = 30_000;

/** Marks the unseen links of the allowed tables, all in one statement. */
async function markUnseenLinks(
  db: Db,
  scope: Prisma.Sql,
  tables: readonly LinkTable[],
  columns: Record<LinkTable, number[][]>,
  runId: number | undefined,
): Promise<Record<LinkTable, number>> {
  const deleted: Record<LinkTable, number> = { location_staff: 0, location_services: 0, staff_services: 0 };
  if (tables.length === 0) return deleted;
  const steps = tables.map((table) => {
    const keys = Prisma.raw(LINK_KEYS[table].map((k) => `t.${k}`).join(', '));
    // NOT IN rather than a join with the unseen keys: a join is planned on the statistics, and on
    // a freshly filled table (which has none) it became a nested loop, 20 ms for one location's
    // 1,000 links where the hashed filter takes 2 ms. The filter is hashed only while the seen
    // keys fit work_mem; past that, the join (planned on statistics that a table this large has).
    const unseen =
      (columns[table][0]?.length ?? 0) <= HASHED_SEEN_KEYS
        ? Prisma.sql`(${keys}) NOT IN (SELECT * FROM unnest(${keyArrays(columns[table])}))`
        : Prisma.sql`(${keys}) IN (${unseenLinkKeys(table, scope, columns[table])})`;
    return Prisma.sql`${Prisma.raw(`${table}_marked`)} AS (
      UPDATE ${Prisma.raw(table)} t SET deleted_at = now()
      WHERE ${scope} AND t.deleted_at IS NULL AND ${unseen}
      RETURNING 1)`;
  });
  const counts = tables.map(
    (table) =>
      Prisma.sql`(SELECT count(*) FROM ${Prisma.raw(`${table}_marked`)})::int AS ${Prisma.raw(table)}`,
  );
  const rows = await queryInRun<Record<LinkTable, number>>(
    db,
    runId,
    Prisma.sql`WITH ${Prisma.join(steps)} SELECT ${Prisma.join(counts)}`,
  );
  for (const table of tables) deleted[table] = rows[0]?.[table] ?? 0;
  return deleted;
}

/** Per link table, the location's active links that the walk did not see: one read-only statement. */
async function countLinks(
  db: Db,
  scope: Prisma.Sql,
  columns: Record<LinkTable, number[][]>,
): Promise<LinkState> {
  const counts = LINK_TABLES.map((table) => activeAndUnseen(table, scope, columns[table]));
  const rows = await db.$queryRaw<Array<Record<string, number>>>`SELECT ${Prisma.join(counts)}`;
  const row = rows[0] ?? {};
  const of = (table: LinkTable) => ({
    active: row[`${table}_active`] ?? 0,
    unseen: row[`${table}_unseen`] ?? 0,
  });
  return {
    location_staff: of('location_staff'),
    location_services: of('location_services'),
    staff_services: of('staff_services'),
  };
}
