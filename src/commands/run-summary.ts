/**
 * The table of a run's counts, as `sync`, `resync --wait` and `backfill --wait` print it: one
 * line that says what ran and how it ended, one row per table of the mirror, the API calls when
 * the result carries them, and the reasons of a run that did not succeed.
 */
import { MIRROR_TABLES, type TableCounts } from '../db/index.js';

/** What the table needs of a run's result: a SyncSummary, or what a full-sync or backfill job returns. */
export interface RunResult {
  runId: number;
  scope: string;
  locationId?: number;
  status: string;
  stats: Partial<Record<string, Partial<TableCounts>>>;
  durationMs?: number;
  apiCalls?: number;
  retries?: number;
  relogins?: number;
  reasons?: string[];
  /** A backfill's chunks of dates, and how many of them earlier backfills had read. */
  chunks?: number;
  skipped?: number;
}

const COLUMNS = ['inserted', 'updated', 'unchanged', 'revived', 'deleted', 'inactive', 'skipped'] as const;

/** Whether a job's return value is a run's result (and not a skip, or something unknown). */
export function isRunResult(value: unknown): value is RunResult {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.runId === 'number' &&
    typeof v.status === 'string' &&
    typeof v.scope === 'string' &&
    typeof v.stats === 'object' &&
    v.stats !== null
  );
}

export function formatRunSummary(result: RunResult): string {
  const lines = [headline(result)];
  const rows = MIRROR_TABLES.map((table) => {
    const counts = result.stats[table] ?? {};
    return [table, ...COLUMNS.map((column) => String(counts[column] ?? 0))];
  });
  const head = ['table', ...COLUMNS];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  lines.push(fmt(head), ...rows.map(fmt));
  if (result.apiCalls !== undefined) {
    lines.push(
      `api calls ${result.apiCalls}, retries ${result.retries ?? 0}, re-logins ${result.relogins ?? 0}`,
    );
  }
  for (const reason of result.reasons ?? []) lines.push(`! ${reason}`);
  return lines.join('\n');
}

function headline(result: RunResult): string {
  const what =
    result.scope === 'full'
      ? 'full sync'
      : result.scope === 'location'
        ? `location ${result.locationId ?? '?'} sync`
        : result.scope;
  const took = result.durationMs === undefined ? '' : ` in ${(result.durationMs / 1000).toFixed(1)} s`;
  const chunks =
    result.chunks === undefined
      ? ''
      : `: ${result.chunks} chunk${result.chunks === 1 ? '' : 's'} of dates` +
        (result.skipped ? `, ${result.skipped} of them read by an earlier backfill` : '');
  return `${what} ${result.status} (run ${result.runId})${took}${chunks}`;
}
