/**
 * The mass-delete guard. A walk that completed is evidence that what it did not see is gone, but
 * an API answering with a truncated or empty list would look exactly like that. So a tombstone
 * step that would mark more than `ratio` of the active rows in its scope (the account for an
 * entity table, one location for a link table), or that saw an empty list where the mirror has
 * active rows (for lists where empty is implausible), marks nothing and says why. An operator who
 * knows the deletes are real sets `allowMassDelete` (SYNC_ALLOW_MASS_DELETE) once.
 */

import type { DeleteBudget } from './delete-budget.js';

const OVERRIDE_HINT = '; nothing was marked deleted (SYNC_ALLOW_MASS_DELETE=true allows it)';

export interface GuardOptions {
  /** Largest share of the active rows in scope that one step may mark deleted (0 < ratio <= 1). */
  ratio: number;
  /** Overrides both checks. */
  allowMassDelete: boolean;
  /** Refuse when nothing was seen while the scope has active rows (account-wide lists). */
  emptyListIsSuspicious?: boolean;
  /** Links of a full sync: judged against the run's account-wide budget (delete-budget.ts). */
  budget?: DeleteBudget;
}

export type GuardDecision = { refused: false } | { refused: true; reason: string };

/** The result of one guarded tombstone step. */
export type TombstoneResult = { refused: false; deleted: number } | { refused: true; reason: string };

export interface GuardInput {
  /** What the rows are, for the reason: "staff", "location_staff links of location 7". */
  label: string;
  /** Active rows in scope before the step. */
  active: number;
  /** Active rows the step would mark deleted. */
  doomed: number;
  /** How many distinct ids the walk saw. */
  seen: number;
}

export function evaluateDeleteGuard(input: GuardInput, options: GuardOptions): GuardDecision {
  const { label, active, doomed, seen } = input;
  if (options.allowMassDelete || doomed === 0) return { refused: false };
  if (options.emptyListIsSuspicious && seen === 0 && active > 0) {
    return {
      refused: true,
      reason: `saw an empty list but the mirror has ${active} active ${label}${OVERRIDE_HINT}`,
    };
  }
  if (doomed > options.ratio * active) {
    return {
      refused: true,
      reason: `would delete ${doomed} of ${active} active ${label} (ratio ${options.ratio})${OVERRIDE_HINT}`,
    };
  }
  return { refused: false };
}
