/**
 * The counts a sync run reports (`sync_runs.stats` and the CLI summary): per table of the mirror,
 * its TableCounts (db/sync-runs.ts).
 */
import { MIRROR_TABLES, type MirrorTable, type TableCounts } from '../db/index.js';

export type RunStats = Record<MirrorTable, TableCounts>;

export function emptyStats(): RunStats {
  const stats = {} as RunStats;
  for (const table of MIRROR_TABLES) {
    stats[table] = {
      inserted: 0,
      updated: 0,
      unchanged: 0,
      revived: 0,
      deleted: 0,
      inactive: 0,
      skipped: 0,
      held: 0,
    };
  }
  return stats;
}

export function addCounts(stats: RunStats, table: MirrorTable, counts: Partial<TableCounts>): void {
  const target = stats[table];
  for (const key of Object.keys(target) as Array<keyof TableCounts>) target[key] += counts[key] ?? 0;
}

/** Sums `from` into `into` (used to merge the per-location results of a fanned-out run). */
export function mergeStats(
  into: RunStats,
  from: Partial<Record<MirrorTable, Partial<TableCounts>>>,
): RunStats {
  for (const table of MIRROR_TABLES) {
    const counts = from[table];
    if (counts) addCounts(into, table, counts);
  }
  return into;
}
