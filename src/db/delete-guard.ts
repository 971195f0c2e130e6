/**
 * The mass-delete guard. A walk that completed is evidence that what it did not see is gone, but
 * an API answering with a truncated or empty list would look exactly like that. So a tombstone
 * step that would bring the active rows in its scope (the account for an entity table, one
 * location for a link table in a location sync) below `1 - ratio` of its baseline, or that saw an
 * empty list where the mirror has active rows (for lists where empty is implausible), marks
 * nothing and says why. An operator who knows the deletes are real sets `allowMassDelete`
 * (SYNC_ALLOW_MASS_DELETE) once.
 *
 * The baseline is the largest active count at the end of the last few successful full syncs
 * (delete-baseline.ts), not only what is active now: measured against "now" alone, an API that
 * keeps answering bad lists would remove another share of what is left on every run.
 */

import type { DeleteBudget } from './delete-budget.js';

const OVERRIDE_HINT = '; nothing was marked deleted (SYNC_ALLOW_MASS_DELETE=true allows it)';

export interface GuardOptions {
  /** Largest share of the baseline that may be marked deleted (0 < ratio <= 1). */
  ratio: number;
  /** Overrides both checks. */
  allowMassDelete: boolean;
  /** Refuse when nothing was seen while the scope has active rows (account-wide lists). */
  emptyListIsSuspicious?: boolean;
  /** Links of a full sync: judged against the run's account-wide budget (delete-budget.ts). */
  budget?: DeleteBudget;
}

export type GuardDecision = { refused: false } | { refused: true; reason: string };

/** The result of one guarded tombstone step; `held`: the rows a refusal kept from being marked. */
export type TombstoneResult =
  | { refused: false; deleted: number }
  | { refused: true; reason: string; held: number };

export interface GuardInput {
  /** What the rows are, for the reason: "staff", "location_staff links of location 7". */
  label: string;
  /** Active rows in scope before the step. */
  active: number;
  /** Active rows the step would mark deleted. */
  doomed: number;
  /** How many distinct ids the walk saw. */
  seen: number;
  /** The most active rows recently (delete-baseline.ts); `active` when unknown or smaller. */
  baseline?: number;
}

/** How many of `active` rows may be marked deleted without going below `1 - ratio` of the baseline. */
export function deleteAllowance(active: number, baseline: number | undefined, ratio: number): number {
  const base = Math.max(active, baseline ?? 0);
  return Math.max(0, Math.floor(active - (1 - ratio) * base + 1e-9));
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
  if (doomed <= deleteAllowance(active, input.baseline, options.ratio)) return { refused: false };
  const base = Math.max(active, input.baseline ?? 0);
  const reason =
    base === active
      ? `would delete ${doomed} of ${active} active ${label} (ratio ${options.ratio})`
      : `would delete ${doomed} of ${active} active ${label}, leaving fewer than ${1 - options.ratio} of ` +
        `the ${base} a recent successful sync ended with (ratio ${options.ratio})`;
  return { refused: true, reason: `${reason}${OVERRIDE_HINT}` };
}
