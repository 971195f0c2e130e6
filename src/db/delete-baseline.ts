/**
 * The mass-delete guard's baseline (delete-guard.ts): per table, the active rows at the end of
 * each full sync are kept in `sync_runs.active_rows`, and the baseline is the largest count among
 * the last few *successful* full syncs. A run the guard refused ends `partial` and never lowers
 * it, so an API that keeps answering empty lists is refused run after run instead of removing
 * another share each time; real deletions beyond the ratio need SYNC_ALLOW_MASS_DELETE once.
 */
import type { Db } from './database.js';
import type { EntityTable } from './entities.js';
import type { LinkTable } from './links.js';

/** Every table of the mirror that a sync writes: run stats and the guard's baseline cover each. */
export type MirrorTable = EntityTable | LinkTable | 'clients' | 'appointments';
export type ActiveRows = Record<MirrorTable, number>;

export const MIRROR_TABLES: readonly MirrorTable[] = [
  'locations',
  'staff',
  'services',
  'location_staff',
  'location_services',
  'staff_services',
  'clients',
  'appointments',
];

/** How many recent successful full syncs the baseline looks back over. */
const BASELINE_RUNS = 5;

/** Per table, the account's active rows. */
export async function countActiveRows(db: Db, account: string): Promise<ActiveRows> {
  const counts = MIRROR_TABLES.map(
    (table) => `(SELECT count(*) FROM ${table} WHERE account = $1 AND deleted_at IS NULL)::int AS ${table}`,
  );
  const [row] = await db.$queryRawUnsafe<ActiveRows[]>(`SELECT ${counts.join(', ')}`, account);
  return row ?? zeroRows();
}

/**
 * Per table, the largest active count of the account's last BASELINE_RUNS successful full syncs
 * (0 if none).
 */
export async function deleteBaseline(db: Db, account: string): Promise<ActiveRows> {
  const maxima = MIRROR_TABLES.map(
    (table) => `coalesce(max((active_rows->>'${table}')::int), 0)::int AS ${table}`,
  );
  const [row] = await db.$queryRawUnsafe<ActiveRows[]>(
    `SELECT ${maxima.join(', ')} FROM (
       SELECT active_rows FROM sync_runs
       WHERE account = $1 AND scope = 'full' AND status = 'succeeded' AND active_rows IS NOT NULL
       ORDER BY id DESC LIMIT ${BASELINE_RUNS}) recent`,
    account,
  );
  return row ?? zeroRows();
}

function zeroRows(): ActiveRows {
  return Object.fromEntries(MIRROR_TABLES.map((t) => [t, 0])) as ActiveRows;
}
