/**
 * The one place where the results of a run's steps become the run's totals, its reasons and the
 * evidence its finish needs, whether the steps ran in this process or as jobs.
 */
import type { LocationOutcome } from './location-walk.js';
import { addCounters, type Counters, emptyTotals, type RunTotals } from './run-record.js';
import { mergeStats } from './stats.js';
import type { AccountFindings, StepResult } from './steps.js';

/** A step that failed for good (a job after its last attempt): its label and last failure's message. */
export interface StepFailure {
  label: string;
  message: string;
}

/** What the finish needs of each location: whether it completed, and what it saw. */
export type LocationEvidence = Pick<LocationOutcome, 'locationId' | 'status' | 'seenStaff' | 'seenServices'>;

export interface MergedRun {
  totals: RunTotals;
  /** Every location of the account step's list: walked, or failed when its step never returned. */
  locations: LocationEvidence[];
  /** Why the run is partial so far (the finish may add its own). */
  reasons: string[];
}

export function mergeStepResults(input: {
  /** The account step's findings; its stats are counted when given. */
  account?: Pick<AccountFindings, 'snapshot'> & Partial<Pick<AccountFindings, 'stats'>>;
  results: readonly Omit<StepResult, 'retryable'>[];
  failures?: readonly StepFailure[];
  /** API calls made outside the results' own counters (the account step's, say). */
  counters?: Partial<Counters>;
}): MergedRun {
  const { account, results, failures = [] } = input;
  const totals = emptyTotals();
  if (account?.stats) mergeStats(totals.stats, account.stats);
  totals.counters = addCounters(totals.counters, input.counters);
  for (const result of results) {
    mergeStats(totals.stats, result.stats);
    totals.counters = addCounters(totals.counters, result.counters);
  }
  totals.chunks = results.flatMap((r) => (r.read ? [r.read] : []));

  const walked = new Map<number, LocationEvidence>();
  const locationReasons: string[] = [];
  const otherReasons: string[] = [];
  for (const result of results) {
    if (result.step.kind === 'location') {
      const { locationId } = result.step;
      walked.set(locationId, {
        locationId,
        status: result.status === 'skipped' ? 'complete' : result.status,
        seenStaff: result.seen?.staff ?? [],
        seenServices: result.seen?.services ?? [],
      });
      locationReasons.push(...result.reasons.map((reason) => `location ${locationId}: ${reason}`));
    } else {
      otherReasons.push(...result.reasons);
    }
  }
  const locations = (account?.snapshot.locationIds ?? [...walked.keys()]).map(
    (locationId): LocationEvidence =>
      walked.get(locationId) ?? { locationId, status: 'failed', seenStaff: [], seenServices: [] },
  );
  return {
    totals,
    locations,
    reasons: [
      ...(account?.snapshot.reasons ?? []),
      ...locationReasons,
      ...otherReasons,
      ...failures.map((f) => `${f.label}: ${f.message}`),
    ],
  };
}
