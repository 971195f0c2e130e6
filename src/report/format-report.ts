/**
 * The report as text for a terminal: warnings first, then the freshness, the appointments of the
 * account, then each location.
 */
import type { PastMonth, UpcomingWeek } from './appointment-report.js';
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
  lines.push('', ...formatAppointments(report.appointments));
  for (const location of report.locations) lines.push('', ...formatLocation(location));
  return lines.join('\n');
}

function formatAppointments({
  mirrored,
  next7Days,
  last30Days,
  busiestStaff,
  changes,
}: Report['appointments']): string[] {
  if (mirrored === 0) return ['appointments: none mirrored yet (every full sync reads the rolling window)'];
  return [
    `appointments: ${mirrored} mirrored`,
    `  next 7 days (${next7Days.from}..${next7Days.to}): ${upcoming(next7Days)}`,
    `  last 30 days (${last30Days.from}..${last30Days.to}): ${past(last30Days)}`,
    busiestStaff.length === 0
      ? '  busiest staff, last 30 days: none (no appointment booked)'
      : `  busiest staff, last 30 days: ${busiestStaff
          .map(
            (s) =>
              `${s.name ?? '(no name)'} (${s.id}): ${s.appointments} appointments, ${formatMinutes(s.bookedMinutes)}`,
          )
          .join('; ')}`,
    `  changes since ${changes.from}: ${changes.reschedules} rescheduled, ${changes.cancellations} cancelled` +
      (changes.medianCancellationLeadHours === null
        ? ''
        : `, median cancellation ${changes.medianCancellationLeadHours.toFixed(1)} h before the start`),
  ];
}

function upcoming(week: UpcomingWeek): string {
  return `${week.booked} booked, ${formatMinutes(week.bookedMinutes)}`;
}

function past(month: PastMonth): string {
  if (month.appointments === 0) return 'no appointments';
  return `${month.appointments} appointments, ${percent(month.cancellationRate)} cancelled, ${percent(month.noShowRate)} no-show`;
}

function percent(rate: number | null): string {
  return rate === null ? 'n/a' : `${(rate * 100).toFixed(1)}%`;
}

/** `95 h 30 min`, `45 min`, `0 min`. */
function formatMinutes(minutes: number): string {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${rest} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
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
  lines.push(
    `  appointments: next 7 days ${upcoming(location.next7Days)}; last 30 days ${past(location.last30Days)}`,
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
