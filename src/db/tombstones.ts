/**
 * Tombstones: `deleted_at = now()` on active rows that a completed walk did not see. Rows are
 * never removed, so reports can still join history, and a row that comes back is revived by the
 * next upsert. Every step goes through the mass-delete guard (delete-guard.ts) inside one
 * transaction: the rows are marked, counted against the scope's active rows as of the same
 * statement, and the transaction is rolled back when the guard refuses, so the decision is taken
 * on exactly the rows that would have been marked.
 */
import { Prisma } from '../generated/prisma/client.js';
import type { Db } from './client.js';
import { evaluateDeleteGuard, type GuardOptions, type TombstoneResult } from './delete-guard.js';
import type { EntityTable } from './entities.js';
import { LINK_KEYS, type LinkTable, type LocationLinks, linkKeyColumns } from './links.js';

type Tx = Prisma.TransactionClient;

const LINK_TABLES: readonly LinkTable[] = ['location_staff', 'location_services', 'staff_services'];
const TRANSACTION = { maxWait: 10_000, timeout: 120_000 };

class Refused extends Error {}

/**
 * Marks the entity rows (account-wide) whose id is not in `seenIds`. Tombstoned locations take
 * their active links with them (those are not counted in `deleted`).
 */
export async function tombstoneEntities(
  db: Db,
  table: EntityTable,
  seenIds: readonly number[],
  guard: GuardOptions,
): Promise<TombstoneResult> {
  const seen = [...new Set(seenIds)];
  return guarded(db, table, seen.length, guard, async (tx) => {
    const step = await markUnseen(tx, table, Prisma.sql`TRUE`, ['id'], [seen]);
    if (table === 'locations' && step.ids.length > 0) {
      await tombstoneLinksOf(tx, step.ids);
    }
    return step;
  });
}

/**
 * Marks the location's active links that the walk did not see, within that location only. Each
 * link table is its own guarded step: one refused table leaves the others to go ahead.
 */
export async function tombstoneLocationLinks(
  db: Db,
  locationId: number,
  seen: LocationLinks,
  guard: GuardOptions,
): Promise<Record<LinkTable, TombstoneResult>> {
  const columns = linkKeyColumns(seen);
  const scope = Prisma.sql`t.location_id = ${locationId}::bigint`;
  const results = {} as Record<LinkTable, TombstoneResult>;
  // One read counts, per table, the active links and those the walk did not see; the guard
  // decides on those counts, and only a table with something to mark costs a write. (Links are
  // written for one location by one walk at a time, so the counts hold until the mark.)
  const counts = await countLinks(db, scope, columns);
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
      };
      continue;
    }
    allowed.push(table);
  }
  const deleted = await markUnseenLinks(db, scope, allowed, columns);
  for (const table of allowed) results[table] = { refused: false, deleted: deleted[table] };
  return results;
}

/** Marks the unseen links of the allowed tables, all in one statement. */
async function markUnseenLinks(
  db: Db,
  scope: Prisma.Sql,
  tables: readonly LinkTable[],
  columns: Record<LinkTable, number[][]>,
): Promise<Record<LinkTable, number>> {
  const deleted: Record<LinkTable, number> = { location_staff: 0, location_services: 0, staff_services: 0 };
  if (tables.length === 0) return deleted;
  const steps = tables.map((table) => {
    const keys = LINK_KEYS[table];
    const target = Prisma.raw(table);
    const arrays = Prisma.join(columns[table].map((values) => Prisma.sql`${values}::bigint[]`));
    const keyList = Prisma.raw(keys.map((k) => `t.${k}`).join(', '));
    const matches = Prisma.raw(keys.map((k) => `u.${k} = t.${k}`).join(' AND '));
    return Prisma.sql`${Prisma.raw(`${table}_marked`)} AS (
      UPDATE ${target} t SET deleted_at = now()
      FROM (SELECT ${keyList} FROM ${target} t WHERE ${scope} AND t.deleted_at IS NULL
            EXCEPT SELECT * FROM unnest(${arrays})) u
      WHERE ${scope} AND t.deleted_at IS NULL AND ${matches}
      RETURNING 1)`;
  });
  const counts = tables.map(
    (table) =>
      Prisma.sql`(SELECT count(*) FROM ${Prisma.raw(`${table}_marked`)})::int AS ${Prisma.raw(table)}`,
  );
  const rows = await db.$queryRaw<Array<Record<LinkTable, number>>>`
    WITH ${Prisma.join(steps)} SELECT ${Prisma.join(counts)}`;
  for (const table of tables) deleted[table] = rows[0]?.[table] ?? 0;
  return deleted;
}

/**
 * A location that is gone (TimeTap answers 404): the location row and all its active links are
 * marked, without the guard, since the 404 is direct evidence about this one location. Returns
 * how many location rows were marked (0 when it was already tombstoned or never seen).
 */
export async function tombstoneLocation(db: Db, locationId: number): Promise<number> {
  return db.$transaction(async (tx) => {
    const marked = await tx.$executeRaw`
      UPDATE locations SET deleted_at = now() WHERE id = ${locationId}::bigint AND deleted_at IS NULL`;
    await tombstoneLinksOf(tx, [BigInt(locationId)]);
    return marked;
  }, TRANSACTION);
}

interface Step {
  doomed: number;
  active: number;
  ids: bigint[];
}

async function guarded(
  db: Db,
  label: string,
  seen: number,
  guard: GuardOptions,
  mark: (tx: Tx) => Promise<Step>,
  reserve?: (step: Step) => Promise<{ ok: true } | { ok: false; reason: string }>,
): Promise<TombstoneResult> {
  try {
    return await db.$transaction(async (tx) => {
      const step = await mark(tx);
      if (reserve && step.doomed > 0) {
        const reservation = await reserve(step);
        if (!reservation.ok) throw new Refused(`${label}: ${reservation.reason}`);
        return { refused: false, deleted: step.doomed } as const;
      }
      const decision = evaluateDeleteGuard({ label, active: step.active, doomed: step.doomed, seen }, guard);
      // Throwing rolls the marks back.
      if (decision.refused) throw new Refused(decision.reason);
      return { refused: false, deleted: step.doomed } as const;
    }, TRANSACTION);
  } catch (error) {
    if (error instanceof Refused) return { refused: true, reason: error.message };
    throw error;
  }
}

/**
 * One statement: marks the active rows in scope whose key is not among the seen keys (an
 * anti-join, not `<> ALL`, so 10,000 seen ids stay cheap), and counts the scope's active rows as
 * they were before (the outer query does not see the CTE's update).
 */
async function markUnseen(
  tx: Tx,
  table: EntityTable | LinkTable,
  scope: Prisma.Sql,
  keys: readonly string[],
  seen: number[][],
): Promise<Step> {
  const target = Prisma.raw(table);
  const arrays = Prisma.join(seen.map((values) => Prisma.sql`${values}::bigint[]`));

  const matches = Prisma.raw(keys.map((k) => `u.${k} = t.${k}`).join(' AND '));
  const keyList = Prisma.raw(keys.map((k) => `t.${k}`).join(', '));
  const idColumn = Prisma.raw(
    table === 'locations' || table === 'staff' || table === 'services' ? 'id' : 'location_id',
  );
  const rows = await tx.$queryRaw<Array<{ doomed: number; active: number; ids: bigint[] }>>`
    WITH unseen AS (
      SELECT ${keyList} FROM ${target} t WHERE ${scope} AND t.deleted_at IS NULL
      EXCEPT SELECT * FROM unnest(${arrays})
    ),
    doomed AS (
      UPDATE ${target} t SET deleted_at = now()
      FROM unseen u
      WHERE ${scope} AND t.deleted_at IS NULL AND ${matches}
      RETURNING t.${idColumn} AS id
    )
    SELECT
      (SELECT count(*) FROM doomed)::int AS doomed,
      (SELECT count(*) FROM ${target} t WHERE ${scope} AND t.deleted_at IS NULL)::int AS active,
      (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM doomed) AS ids`;
  const row = rows[0];
  return { doomed: row?.doomed ?? 0, active: row?.active ?? 0, ids: row?.ids ?? [] };
}

/** Per link table, the location's active links that the walk did not see: one read-only statement. */
async function countLinks(
  db: Db,
  scope: Prisma.Sql,
  columns: Record<LinkTable, number[][]>,
): Promise<Record<LinkTable, { active: number; unseen: number }>> {
  const counts = LINK_TABLES.map((table) => {
    const keys = LINK_KEYS[table];
    const arrays = Prisma.join(columns[table].map((values) => Prisma.sql`${values}::bigint[]`));
    const list = Prisma.raw(keys.map((k) => `t.${k}`).join(', '));
    const target = Prisma.raw(table);
    // EXCEPT rather than NOT EXISTS: a hashed set operation whatever the planner's statistics
    // say (a freshly filled table has none, and the anti-join then degrades to a nested loop).
    return Prisma.sql`
      (SELECT count(*) FROM ${target} t WHERE ${scope} AND t.deleted_at IS NULL)::int AS ${Prisma.raw(`${table}_active`)},
      (SELECT count(*) FROM (
        SELECT ${list} FROM ${target} t WHERE ${scope} AND t.deleted_at IS NULL
        EXCEPT SELECT * FROM unnest(${arrays})) unseen)::int AS ${Prisma.raw(`${table}_unseen`)}`;
  });
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

async function tombstoneLinksOf(tx: Tx, locationIds: bigint[]): Promise<void> {
  for (const table of LINK_TABLES) {
    await tx.$executeRaw`
      UPDATE ${Prisma.raw(table)} SET deleted_at = now()
      WHERE location_id = ANY(${locationIds}::bigint[]) AND deleted_at IS NULL`;
  }
}
