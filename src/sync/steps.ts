/**
 * How each step of a plan (plan.ts) runs, wherever it runs: the account step, any step between it
 * and the finish (one function for every kind, returning one shape of result), and the finish.
 * Every step heartbeats its run while it works, so that a live run never looks dead.
 */
import type { AccountContext } from '../account.js';
import type { Config } from '../config.js';
import {
  type ClientDataPolicy,
  type DeleteBudget,
  type DeleteLimits,
  linkDeleteLimits,
  recordCompletedChunk,
} from '../db/index.js';
import { tombstoneAccount } from './account-tombstones.js';
import { type AccountSnapshot, type Authoritative, walkAccount } from './account-walk.js';
import { type ChunkRecord, walkAppointmentChunk } from './appointment-walk.js';
import { walkClients } from './client-walk.js';
import { type WalkDeps, walkLocation } from './location-walk.js';
import type { PlanScope, Step } from './plan.js';
import { type Counters, closeRun, type RecordDeps, type RunTotals, withHeartbeat } from './run-record.js';
import type { RunStats } from './stats.js';

export interface StepDeps extends WalkDeps, RecordDeps {
  /** The account the run is for. */
  account: AccountContext;
  /** How much personal data of clients the mirror keeps (MIRROR_CLIENT_DATA). */
  clientData: ClientDataPolicy;
  /** The rolling window of appointments and how it is read (APPOINTMENTS_*). */
  appointments: Config['sync']['appointments'];
}

/** What the account step found, as the rest of a full run needs it (JSON: a job carries it). */
export interface AccountFindings {
  snapshot: Pick<
    AccountSnapshot,
    'locationIds' | 'locationsComplete' | 'staffIds' | 'serviceIds' | 'reasons'
  >;
  /** Which account-wide lists were read completely: their copies win over per-location ones. */
  authoritative: Authoritative;
  /** The run's budget of link deletions, account-wide (db/delete-budget.ts). */
  deleteLimits: DeleteLimits;
  stats: RunStats;
}

/** What a step knows of its run besides its own work. */
export interface StepContext {
  runId: number;
  scope: PlanScope;
  /** Full runs: what the account step found. */
  account?: Pick<AccountFindings, 'authoritative'>;
  /** Full runs: the link deletions the location steps draw from, shared by all of them. */
  deleteBudget?: DeleteBudget;
}

/**
 * What any step returns (JSON: a child job's return value). complete: done, tombstones included;
 * incomplete: written, but something was unusable, so nothing was tombstoned; failed: nothing
 * under the step was touched; skipped: the configuration asks for nothing here.
 */
export interface StepResult {
  step: Step;
  status: 'complete' | 'incomplete' | 'failed' | 'skipped';
  reasons: string[];
  stats: RunStats;
  /** For a failed step: whether trying it again may help. */
  retryable: boolean;
  /** Location steps: the ids seen under the location (account-wide tombstones never remove them). */
  seen?: { staff: number[]; services: number[] };
  /** Chunk steps: what the read found. */
  read?: ChunkRecord;
  /** The API calls the step made, when it ran as a job of its own. */
  counters?: Counters;
}

export function runAccountStep(deps: StepDeps, runId: number): Promise<AccountFindings> {
  return withHeartbeat(deps, runId, async () => {
    // The account step writes no link, so the links' budget is counted while it reads.
    const [account, deleteLimits] = await settledBoth(
      walkAccount({ ...deps, runId }),
      linkDeleteLimits(deps.db, deps.account.name, deps.guard.ratio),
    );
    const { locationIds, locationsComplete, staffIds, serviceIds, reasons, authoritative, stats } = account;
    return {
      snapshot: { locationIds, locationsComplete, staffIds, serviceIds, reasons },
      authoritative,
      deleteLimits,
      stats,
    };
  });
}

/** Both values, once both promises have settled (the first failure thrown, nothing left running). */
async function settledBoth<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [first, second] = await Promise.allSettled([a, b]);
  if (first.status === 'rejected') throw first.reason;
  if (second.status === 'rejected') throw second.reason;
  return [first.value, second.value];
}

/** Runs one step between the account step and the finish. Throws only what stops the whole run. */
export function runStep(stepDeps: StepDeps, step: Step, context: StepContext): Promise<StepResult> {
  // Every write of the step is the run's (the change feed names it).
  const deps = { ...stepDeps, runId: context.runId };
  return withHeartbeat(deps, context.runId, async () => {
    switch (step.kind) {
      case 'clients': {
        const { status, reasons, stats, retryable } = await walkClients(deps);
        return { step, status, reasons, stats, retryable };
      }
      case 'location': {
        const guard = context.deleteBudget ? { ...deps.guard, budget: context.deleteBudget } : deps.guard;
        const walkDeps = {
          ...deps,
          guard,
          ...(context.account ? { authoritative: context.account.authoritative } : {}),
        };
        const outcome = await walkLocation(walkDeps, step.locationId);
        const { status, reasons, stats, retryable, seenStaff, seenServices } = outcome;
        return {
          step,
          status,
          reasons,
          stats,
          retryable,
          seen: { staff: seenStaff, services: seenServices },
        };
      }
      case 'chunk': {
        const { pageSize, statuses } = deps.appointments;
        const outcome = await walkAppointmentChunk({ ...deps, pageSize, statuses }, step.range);
        const { status, reasons, stats, retryable, read } = outcome;
        // A backfill's chunk, once read completely, is not read again by a later backfill.
        if (context.scope === 'backfill' && status === 'complete' && read) {
          await recordCompletedChunk(deps.db, deps.account.name, step.range, {
            runId: context.runId,
            ...read,
          });
        }
        return { step, status, reasons, stats, retryable, ...(read ? { read } : {}) };
      }
      default: {
        const never: never = step;
        throw new Error(`unknown step ${JSON.stringify(never)}`);
      }
    }
  });
}

/**
 * The end of a run: for a full run, the account-wide tombstones when the evidence is complete;
 * then the run's row. `totals` is read when the run closes: the tombstones' confirmations are
 * calls of the run too.
 */
export function runFinishStep(
  deps: StepDeps,
  context: Pick<StepContext, 'runId' | 'scope'>,
  run: {
    /** Full runs: the account step's snapshot and the locations' evidence. */
    account?: AccountFindings['snapshot'];
    locations?: Parameters<typeof tombstoneAccount>[2];
    reasons: string[];
    totals: () => RunTotals;
  },
): Promise<{ status: 'succeeded' | 'partial'; reasons: string[] }> {
  return withHeartbeat(deps, context.runId, async () => {
    const reasons = [...run.reasons];
    if (context.scope === 'full' && run.account) {
      const tombstoneDeps = { ...deps, runId: context.runId };
      reasons.push(
        ...(await tombstoneAccount(tombstoneDeps, run.account, run.locations ?? [], run.totals().stats)),
      );
    }
    const status = reasons.length === 0 ? 'succeeded' : 'partial';
    await closeRun(deps, context.runId, { scope: context.scope, status, reasons, totals: run.totals() });
    return { status, reasons: reasons.map((r) => deps.redactor.scrub(r)) };
  });
}
