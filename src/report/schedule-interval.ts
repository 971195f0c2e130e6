/**
 * How often the scheduled full sync runs, from its cron pattern (SYNC_SCHEDULE). The pattern is
 * read by cron-parser, the very parser (and version) BullMQ's job scheduler uses, so the report
 * and the scheduler agree on what the pattern means.
 */
import { CronExpressionParser } from 'cron-parser';

/**
 * The gap between the first two runs the pattern schedules after `from`. For a regular pattern
 * (`0 * * * *`) that is its period; for an irregular one (`0 9 * * 1-5`) it is the gap that
 * applies at that point in time, which is the fair yardstick for a mirror last refreshed then.
 */
export function scheduleIntervalMs(pattern: string, from: Date): number {
  const expression = CronExpressionParser.parse(pattern, { currentDate: from });
  const first = expression.next().getTime();
  const second = expression.next().getTime();
  return second - first;
}

/** "1 h", "15 min", "2 d 3 h", "45 s": a duration for people. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  const restMin = min % 60;
  if (h < 24) return restMin === 0 ? `${h} h` : `${h} h ${restMin} min`;
  const d = Math.floor(h / 24);
  const restH = h % 24;
  return restH === 0 ? `${d} d` : `${d} d ${restH} h`;
}
