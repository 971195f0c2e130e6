/** The report as text for a terminal: warnings first, then the freshness, then each location. */
import type { Report, ReportLocation } from './read-report.js';
import { formatDuration } from './schedule-interval.js';

export function formatReport(report: Report): string {
  const lines: string[] = [];
  for (const warning of report.warnings) lines.push(`WARNING: ${warning}`);
  for (const note of report.notes) lines.push(`note: ${note}`);
  if (report.empty) return lines.join('\n');
  if (lines.length > 0) lines.push('');

  const { freshness, totals } = report;
  const success = freshness.lastSuccessfulFullSync;
  lines.push(
    `mirror: ${totals.locations} locations, ${totals.staff} staff, ${totals.services} services (active rows)`,
    success
      ? `last successful full sync: run #${success.runId} at ${success.finishedAt} (${formatDuration(success.ageSeconds * 1000)} ago)`
      : 'last successful full sync: none',
    ...(freshness.lastSuccessfulLocationSync &&
    (success === null || freshness.lastSuccessfulLocationSync.finishedAt > success.finishedAt)
      ? [
          `last successful location sync: run #${freshness.lastSuccessfulLocationSync.runId} ` +
            `(location ${freshness.lastSuccessfulLocationSync.locationId}) at ` +
            `${freshness.lastSuccessfulLocationSync.finishedAt} (one location only; the freshness counts full syncs)`,
        ]
      : []),
    freshness.lastRun
      ? `last run: #${freshness.lastRun.id} ${freshness.lastRun.scope === 'full' ? 'full' : `location ${freshness.lastRun.locationId}`} ${freshness.lastRun.status}`
      : 'last run: none',
    freshness.scheduleIntervalSeconds === null
      ? `schedule: "${freshness.schedule}" (not a usable cron pattern); the mirror's freshness is unknown`
      : `schedule: "${freshness.schedule}" (every ${formatDuration(freshness.scheduleIntervalSeconds * 1000)}); ` +
          `the mirror is ${freshness.stale ? 'STALE' : 'fresh'}`,
  );
  for (const location of report.locations) lines.push('', ...formatLocation(location));
  return lines.join('\n');
}

function formatLocation(location: ReportLocation): string[] {
  const lines = [
    `${location.name ?? '(no name)'} (location ${location.id}): ${location.staff} staff, ${location.services} services`,
  ];
  lines.push(
    location.topServices.length === 0
      ? '  offered by the most staff: none (no staff member offers a service here)'
      : `  offered by the most staff: ${location.topServices
          .map(
            (s) =>
              `${s.name ?? '(no name)'} (${s.id}${s.durationMinutes ? `, ${s.durationMinutes} min` : ''}): ${s.staff} staff`,
          )
          .join(', ')}`,
  );
  if (location.staffWithoutServices.length > 0) {
    lines.push(
      `  staff who offer nothing here: ${location.staffWithoutServices
        .map((s) => `${s.name ?? '(no name)'} (${s.id})`)
        .join(', ')}`,
    );
  }
  return lines;
}
