/**
 * The counts a sync run reports (sync_runs.stats and the CLI summary): per table, how many rows
 * were inserted, updated (content changed), left unchanged, revived (came back after a
 * tombstone), marked deleted, marked inactive (no list shows them, their own URL still does), and
 * skipped (a record TimeTap sent without a usable id).
 */
import { MIRROR_TABLES, type MirrorTable } from '../db/index.js';

/** The tables a run counts: the mirror's six (db/delete-baseline.ts). */
export const ENTITIES = MIRROR_TABLES;
export type Entity = MirrorTable;

export interface EntityStats {
  inserted: number;
  updated: number;
  unchanged: number;
  revived: number;
  deleted: number;
  inactive: number;
  skipped: number;
}
export type SyncStats = Record<Entity, EntityStats>;

export function emptyStats(): SyncStats {
  const stats = {} as SyncStats;
  for (const entity of ENTITIES) {
    stats[entity] = {
      inserted: 0,
      updated: 0,
      unchanged: 0,
      revived: 0,
      deleted: 0,
      inactive: 0,
      skipped: 0,
    };
  }
  return stats;
}

export function addCounts(stats: SyncStats, entity: Entity, counts: Partial<EntityStats>): void {
  const target = stats[entity];
  for (const key of Object.keys(target) as Array<keyof EntityStats>) target[key] += counts[key] ?? 0;
}

/** Sums `from` into `into` (used to merge the per-location results of a fanned-out run). */
export function mergeStats(into: SyncStats, from: Partial<SyncStats>): SyncStats {
  for (const entity of ENTITIES) {
    const counts = from[entity];
    if (counts) addCounts(into, entity, counts);
  }
  return into;
}
