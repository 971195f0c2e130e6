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
  const unseen = await countUnseenLinks(db, scope, columns);
  for (const table of LINK_TABLES) {
    // Nothing to mark (every walk of an unchanged location): no transaction, no guard to ask
    // (a step that marks nothing is never refused). One read instead of three transactions.
    if (unseen[table] === 0) {
      results[table] = { refused: false, deleted: 0 };
      continue;
    }
    const label = `${table} links of location ${locationId}`;
    const keyColumns = columns[table];
    const { budget } = guard;
    results[table] = await guarded(
      db,
      label,
      keyColumns[0]?.length ?? 0,
      guard,
      (tx) => markUnseen(tx, table, scope, LINK_KEYS[table], keyColumns),
      budget && !guard.allowMassDelete ? (step) => budget.reserve(table, step.doomed) : undefined,
    );
  }
  return results;
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
  const list = Prisma.raw(keys.join(', '));
  const matches = Prisma.raw(keys.map((k) => `s.${k} = t.${k}`).join(' AND '));
  const idColumn = Prisma.raw(
    table === 'locations' || table === 'staff' || table === 'services' ? 'id' : 'location_id',
  );
  const rows = await tx.$queryRaw<Array<{ doomed: number; active: number; ids: bigint[] }>>`
    WITH doomed AS (
      UPDATE ${target} t SET deleted_at = now()
      WHERE ${scope} AND t.deleted_at IS NULL
        AND NOT EXISTS (SELECT 1 FROM unnest(${arrays}) AS s(${list}) WHERE ${matches})
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
async function countUnseenLinks(
  db: Db,
  scope: Prisma.Sql,
  columns: Record<LinkTable, number[][]>,
): Promise<Record<LinkTable, number>> {
  const counts = LINK_TABLES.map((table) => {
    const keys = LINK_KEYS[table];
    const arrays = Prisma.join(columns[table].map((values) => Prisma.sql`${values}::bigint[]`));
    const matches = Prisma.raw(keys.map((k) => `s.${k} = t.${k}`).join(' AND '));
    return Prisma.sql`(SELECT count(*) FROM ${Prisma.raw(table)} t WHERE ${scope} AND t.deleted_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM unnest(${arrays}) AS s(${Prisma.raw(keys.join(', '))}) WHERE ${matches}))::int
      AS ${Prisma.raw(table)}`;
  });
  const rows = await db.$queryRaw<Array<Record<LinkTable, number>>>`SELECT ${Prisma.join(counts)}`;
  const row = rows[0];
  return {
    location_staff: row?.location_staff ?? 1,
    location_services: row?.location_services ?? 1,
    staff_services: row?.staff_services ?? 1,
  };
}

async function tombstoneLinksOf(tx: Tx, locationIds: bigint[]): Promise<void> {
  for (const table of LINK_TABLES) {
    await tx.$executeRaw`
      UPDATE ${Prisma.raw(table)} SET deleted_at = now()
      WHERE location_id = ANY(${locationIds}::bigint[]) AND deleted_at IS NULL`;
  }
}
