/**
 * The gauges that say what is true at the time of a scrape (metrics.ts), set just before
 * `GET /metrics` answers: the freshness gauges from `mirror_freshness_view`, and `dependency_up`
 * from the same checks as /readyz. While the database cannot be read, the last read of the view
 * stands, its ages grown by the time since: an unreadable mirror does not look younger (and
 * `dependency_up{dependency="database"}` says why).
 */
import { type Db, readFreshness, type ScopeFreshness } from '../db/index.js';
import { checkReadiness, DEFAULT_READINESS_TIMEOUT_MS, type ReadinessChecks } from '../http/health.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { scheduleIntervalMs } from '../report/schedule-interval.js';

/**
 * Sets every scrape-time gauge; never throws (what could not be read is logged at debug). Scrapes
 * that come while a refresh is under way share it, so a slow database never gathers a queue of
 * reads.
 */
export function createScrapeRefresh(
  deps: FreshnessMetricsDeps & {
    metrics: Pick<Metrics, 'dependencyUp'>;
    readiness: ReadinessChecks;
    logger: Logger;
  },
): () => Promise<void> {
  const freshness = createFreshnessMetrics(deps);
  let underWay: Promise<void> | undefined;
  const refresh = async () => {
    const [read, report] = await Promise.allSettled([
      freshness(),
      checkReadiness(deps.readiness, DEFAULT_READINESS_TIMEOUT_MS, deps.logger),
    ]);
    if (read.status === 'rejected') {
      deps.logger.debug({ err: String(read.reason) }, 'could not read mirror_freshness_view for the metrics');
    }
    if (report.status === 'fulfilled') {
      for (const [dependency, result] of Object.entries(report.value.checks)) {
        deps.metrics.dependencyUp.set({ dependency }, result === true ? 1 : 0);
      }
    }
  };
  return () => {
    underWay ??= refresh().finally(() => {
      underWay = undefined;
    });
    return underWay;
  };
}

export interface FreshnessMetricsDeps {
  db: Db;
  metrics: Pick<
    Metrics,
    | 'mirrorAge'
    | 'unsuccessfulRuns'
    | 'guardHeld'
    | 'tombstonedRows'
    | 'appointmentsComplete'
    | 'scheduleInterval'
  >;
  /** Each account's SYNC_SCHEDULE: the mirror's age is judged against it. */
  schedules: ReadonlyArray<{ account: string; pattern: string }>;
  now?: () => number;
}

/** The refresh of the freshness gauges; when the view cannot be read it throws, the last read set. */
function createFreshnessMetrics(deps: FreshnessMetricsDeps): () => Promise<void> {
  const { metrics } = deps;
  const now = deps.now ?? Date.now;
  let last: { rows: ScopeFreshness[]; readAt: number } | undefined;
  return async () => {
    try {
      last = { rows: await readFreshness(deps.db), readAt: now() };
    } finally {
      const configured = new Set(deps.schedules.map((s) => s.account));
      if (last) setGauges(metrics, last.rows, (now() - last.readAt) / 1000, configured);
      for (const { account, pattern } of deps.schedules) {
        metrics.scheduleInterval.set({ account }, scheduleIntervalMs(pattern, new Date(now())) / 1000);
      }
    }
  };
}

function setGauges(
  metrics: FreshnessMetricsDeps['metrics'],
  rows: ScopeFreshness[],
  elapsed: number,
  configured: ReadonlySet<string>,
): void {
  // Series of a scope the view no longer has would otherwise stay at their last values.
  for (const gauge of [
    metrics.mirrorAge,
    metrics.unsuccessfulRuns,
    metrics.guardHeld,
    metrics.tombstonedRows,
    metrics.appointmentsComplete,
  ]) {
    gauge.reset();
  }
  for (const row of rows) {
    // An account no longer configured keeps its rows, not its alerts.
    if (!configured.has(row.account)) continue;
    const labels = { account: row.account, scope: row.scope };
    metrics.mirrorAge.set(labels, Math.round(row.ageSeconds + elapsed));
    metrics.unsuccessfulRuns.set(labels, row.unsuccessfulInARow);
    if (row.guardHeldRows !== null) metrics.guardHeld.set(labels, row.guardHeldRows);
    if (row.tombstonedRows !== null) metrics.tombstonedRows.set(labels, row.tombstonedRows);
    if (row.appointmentsComplete !== null) {
      metrics.appointmentsComplete.set(labels, row.appointmentsComplete ? 1 : 0);
    }
  }
}
