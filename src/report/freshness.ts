/**
 * The mirror's freshness, judged from `sync_status_view` against the schedule. Only a successful
 * full sync makes the mirror fresh; it is stale once that sync is older than two schedule
 * intervals. Ages are measured on the database clock, which also stamps `sync_runs`. The words
 * the report says about it (warnings, notes) are written here, beside the rule they explain.
 */
import { scheduleProblem } from '../config.js';
import type { StatusRow } from './report-queries.js';
import { formatDuration, scheduleIntervalMs } from './schedule-interval.js';

export interface ReportRun {
  id: number;
  scope: string;
  locationId: number | null;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}

export interface Freshness {
  lastSuccessfulFullSync: { runId: number; finishedAt: string; ageSeconds: number } | null;
  /** A location sync refreshes one location only: it never makes the mirror fresh. */
  lastSuccessfulLocationSync: {
    runId: number;
    locationId: number | null;
    finishedAt: string;
    ageSeconds: number;
  } | null;
  lastRun: ReportRun | null;
  schedule: string;
  /** null when SYNC_SCHEDULE is not a usable cron pattern: then freshness is not judged. */
  scheduleIntervalSeconds: number | null;
  /** No successful full sync, or the last one is older than two schedule intervals; null: unknown. */
  stale: boolean | null;
}

export interface FreshnessJudgement {
  freshness: Freshness;
  /** True when no sync has run and the mirror holds nothing. */
  empty: boolean;
  warnings: string[];
  /** Informational lines (a sync running right now). */
  notes: string[];
}

export function judgeFreshness(
  status: StatusRow,
  options: { schedule: string; activeLocations: number },
): FreshnessJudgement {
  const runs = lastSyncs(status);
  const lastSuccess = runs.lastSuccessfulFullSync;
  // `report` schedules nothing: a bad SYNC_SCHEDULE only leaves the mirror's age unjudged.
  const scheduleIssue = scheduleProblem(options.schedule);
  const intervalMs =
    scheduleIssue === undefined
      ? scheduleIntervalMs(options.schedule, status.last_full_success_at ?? status.db_now)
      : undefined;
  const stale =
    lastSuccess === null
      ? true
      : intervalMs === undefined
        ? null
        : lastSuccess.ageSeconds * 1000 > 2 * intervalMs;
  const freshness: Freshness = {
    ...runs,
    schedule: options.schedule,
    scheduleIntervalSeconds: intervalMs === undefined ? null : Math.round(intervalMs / 1000),
    stale,
  };
  const empty = runs.lastRun === null && options.activeLocations === 0;
  return { freshness, empty, ...explain(freshness, { empty, intervalMs, scheduleIssue }) };
}

/** The status row's runs as the report shows them, each success with its age. */
function lastSyncs(
  status: StatusRow,
): Pick<Freshness, 'lastSuccessfulFullSync' | 'lastSuccessfulLocationSync' | 'lastRun'> {
  const now = status.db_now;
  const ageSeconds = (at: Date) => Math.max(0, Math.round((now.getTime() - at.getTime()) / 1000));
  const lastSuccess =
    status.last_full_success_run_id !== null && status.last_full_success_at !== null
      ? {
          runId: status.last_full_success_run_id,
          finishedAt: status.last_full_success_at.toISOString(),
          ageSeconds: ageSeconds(status.last_full_success_at),
        }
      : null;
  const lastLocationSuccess =
    status.last_location_success_run_id !== null && status.last_location_success_at !== null
      ? {
          runId: status.last_location_success_run_id,
          locationId:
            status.last_location_success_location_id === null
              ? null
              : Number(status.last_location_success_location_id),
          finishedAt: status.last_location_success_at.toISOString(),
          ageSeconds: ageSeconds(status.last_location_success_at),
        }
      : null;
  const lastRun: ReportRun | null =
    status.last_run_id !== null && status.last_run_started_at !== null
      ? {
          id: status.last_run_id,
          scope: status.last_run_scope ?? 'full',
          locationId: status.last_run_location_id === null ? null : Number(status.last_run_location_id),
          status: status.last_run_status ?? 'unknown',
          startedAt: status.last_run_started_at.toISOString(),
          finishedAt: status.last_run_finished_at?.toISOString() ?? null,
          error: status.last_run_error,
        }
      : null;
  return { lastSuccessfulFullSync: lastSuccess, lastSuccessfulLocationSync: lastLocationSuccess, lastRun };
}

/** The judgement in words: what needs doing (warnings), and what is merely going on (notes). */
function explain(
  freshness: Freshness,
  judged: { empty: boolean; intervalMs: number | undefined; scheduleIssue: string | undefined },
): { warnings: string[]; notes: string[] } {
  const { lastSuccessfulFullSync: lastSuccess, lastRun, stale, schedule } = freshness;
  const { intervalMs } = judged;
  const warnings: string[] = [];
  const notes: string[] = [];
  if (judged.empty) {
    warnings.push('no sync has run yet: run `timetap-sync sync`');
  } else if (lastSuccess === null) {
    warnings.push('no full sync has succeeded yet: the mirror may be incomplete; run `timetap-sync sync`');
  } else if (stale === null) {
    warnings.push(`SYNC_SCHEDULE ${judged.scheduleIssue}: the mirror's freshness is not judged`);
  } else if (stale && intervalMs !== undefined) {
    warnings.push(
      `the mirror is stale: the last successful full sync (run #${lastSuccess.runId}) finished ` +
        `${formatDuration(lastSuccess.ageSeconds * 1000)} ago, more than two schedule intervals ` +
        `(2 × ${formatDuration(intervalMs)}, SYNC_SCHEDULE "${schedule}"); ` +
        'is the worker running? see `timetap-sync status`',
    );
  }
  if (lastRun && lastRun.status === 'running') {
    notes.push(
      `a sync is running now (run #${lastRun.id}, ${describeScope(lastRun)}, started ${lastRun.startedAt})`,
    );
  } else if (lastRun && lastRun.status !== 'succeeded') {
    const why = lastRun.error ? `: ${lastRun.error.split('\n')[0]}` : '';
    warnings.push(
      `the last sync run (#${lastRun.id}, ${describeScope(lastRun)}) finished as ${lastRun.status}${why}`,
    );
  }
  return { warnings, notes };
}

function describeScope(run: ReportRun): string {
  return run.scope === 'location' ? `location ${run.locationId}` : 'full';
}
