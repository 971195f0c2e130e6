/**
 * Absence alone is not proof. A row that a complete walk of its list did not see is confirmed
 * through its own URL (`GET /staff/{id}`, `GET /clients/{id}`, ...) before anything is marked:
 * - 404: gone, tombstoned (behind the mass-delete guard);
 * - the object: it still exists but the list hides it (TimeTap's lists may omit inactive or
 *   private records): kept, updated from its own copy, and marked inactive;
 * - anything else: undecided, kept as it is, and the run ends `partial`.
 * The guard also bounds the confirmations: when more rows went missing than it would let go, no
 * call is made and nothing is marked.
 */
import {
  evaluateDeleteGuard,
  type ReconciledTable,
  type RunWrite,
  setInactive,
  tombstoneEntityRows,
  type UpsertCounts,
  unseenEntities,
} from '../db/index.js';
import { describeError, NotFoundError } from '../errors.js';
import type { TimeTapApi } from '../timetap/index.js';
import { mapSettled } from './concurrency.js';
import { isFatal, type WalkDeps, writeOf } from './location-walk.js';
import { addCounts, type RunStats } from './stats.js';

export type ConfirmDeps = Pick<
  WalkDeps,
  'account' | 'db' | 'guard' | 'logger' | 'api' | 'staffConcurrency' | 'runId'
>;

/** How to read one object through its own URL, and how to store that copy. */
export interface OwnUrl<R extends { id: number }> {
  get(api: TimeTapApi, id: number): Promise<R>;
  upsert(
    db: ConfirmDeps['db'],
    rows: R[],
    options: Pick<ConfirmDeps, 'logger'> & RunWrite,
  ): Promise<UpsertCounts>;
}

export async function reconcileUnseen<R extends { id: number }>(
  deps: ConfirmDeps,
  table: ReconciledTable,
  own: OwnUrl<R>,
  seenIds: number[],
  baseline: number,
  stats: RunStats,
): Promise<string[]> {
  const { db, logger } = deps;
  const write = writeOf(deps);
  // Listed again: no longer inactive.
  await setInactive(db, table, seenIds, false, write);
  const unseen = await unseenEntities(db, write.account, table, seenIds);
  if (unseen.missing.length === 0 && unseen.inactive.length === 0) return [];

  const guard = { ...deps.guard, emptyListIsSuspicious: true };
  const judge = (doomed: number) =>
    evaluateDeleteGuard(
      { label: table, active: unseen.active, doomed, seen: seenIds.length, baseline },
      guard,
    );
  // Every newly missing row might be gone: that many deletions must be allowed before we ask.
  const before = judge(unseen.missing.length);
  if (before.refused) {
    addCounts(stats, table, { held: unseen.missing.length });
    return [`${table}: ${before.reason}`];
  }

  const checked = await confirm(deps, own, [...unseen.missing, ...unseen.inactive]);
  const present = checked.present.map((row) => row.id);
  if (present.length > 0) {
    addCounts(stats, table, await own.upsert(db, checked.present, { logger, ...write }));
    const marked = await setInactive(db, table, present, true, write);
    addCounts(stats, table, { inactive: marked });
    if (marked > 0) logger.info({ table, marked }, 'kept rows that the list no longer shows, as inactive');
  }
  const reasons: string[] = [];
  const after = judge(checked.gone.length);
  if (after.refused) {
    reasons.push(`${table}: ${after.reason}`);
    addCounts(stats, table, { held: checked.gone.length });
  } else addCounts(stats, table, { deleted: await tombstoneEntityRows(db, table, checked.gone, write) });
  if (checked.undecided.length > 0) {
    const [first] = checked.undecided;
    reasons.push(
      `${table}: ${checked.undecided.length} row(s) missing from the list could not be confirmed ` +
        `(first: ${first?.id}: ${first?.why}); kept as they are`,
    );
  }
  return reasons;
}

interface Confirmed<R> {
  gone: number[];
  present: R[];
  undecided: Array<{ id: number; why: string }>;
}

async function confirm<R extends { id: number }>(
  deps: ConfirmDeps,
  own: OwnUrl<R>,
  ids: number[],
): Promise<Confirmed<R>> {
  const results = await mapSettled(ids, deps.staffConcurrency, (id) => own.get(deps.api, id));
  const confirmed: Confirmed<R> = { gone: [], present: [], undecided: [] };
  results.forEach((result, index) => {
    const id = ids[index] as number;
    if (result.status === 'fulfilled') confirmed.present.push(result.value);
    else if (result.reason instanceof NotFoundError) confirmed.gone.push(id);
    else if (isFatal(result.reason)) throw result.reason;
    else confirmed.undecided.push({ id, why: describeError(result.reason) });
  });
  return confirmed;
}
