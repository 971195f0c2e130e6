/**
 * `timetap-sync sync [--location ID] [--json]`: one sync now, in this process, without Redis.
 */
import { createDatabase } from '../db/client.js';
import { MIRROR_TABLES } from '../db/index.js';
import { EXIT } from '../exit-codes.js';
import type { Runtime } from '../runtime.js';
import { runSettings } from '../sync/run-settings.js';
import { runSync, type SyncRequest, type SyncSummary } from '../sync/run-sync.js';
import { createTimeTapClient } from '../timetap/index.js';
import { createProgressLine } from './progress.js';
import { createAccountReportMemory } from './report-memory.js';

export async function syncCommand(
  runtime: Runtime,
  options: { location?: number; json?: boolean },
): Promise<number> {
  const { config, logger, redactor } = runtime;
  const database = createDatabase(config.database, logger);
  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const progress = createProgressLine(process.stderr, options.json ? false : undefined);
  try {
    const client = createTimeTapClient({
      config: config.timetap,
      logger,
      redactor,
      signal: abort.signal,
      reportMemory: createAccountReportMemory(database.prisma),
    });
    const request: SyncRequest =
      options.location === undefined
        ? { scope: 'full' }
        : { scope: 'location', locationId: options.location };
    const summary = await runSync(
      {
        ...runSettings(config),
        client,
        db: database.prisma,
        logger,
        redactor,
        trigger: 'cli',
        onProgress: ({ stage, done, total }) => progress.update(`syncing: ${done}/${total} ${stage}`),
      },
      request,
    );
    progress.done();
    console.log(options.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
    return summary.status === 'succeeded'
      ? EXIT.ok
      : summary.status === 'partial'
        ? EXIT.partial
        : EXIT.failure;
  } finally {
    progress.done();
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await database.close();
  }
}

export function formatSummary(summary: SyncSummary): string {
  const scope = summary.scope === 'full' ? 'full sync' : `location ${summary.locationId} sync`;
  const lines = [
    `${scope} ${summary.status} (run ${summary.runId}) in ${(summary.durationMs / 1000).toFixed(1)} s`,
  ];
  const head = ['table', 'inserted', 'updated', 'unchanged', 'revived', 'deleted', 'inactive', 'skipped'];
  const rows = MIRROR_TABLES.map((entity) => {
    const s = summary.stats[entity];
    return [entity, s.inserted, s.updated, s.unchanged, s.revived, s.deleted, s.inactive, s.skipped].map(
      String,
    );
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  lines.push(fmt(head), ...rows.map(fmt));
  lines.push(`api calls ${summary.apiCalls}, retries ${summary.retries}, re-logins ${summary.relogins}`);
  for (const reason of summary.reasons) lines.push(`! ${reason}`);
  return lines.join('\n');
}
