/**
 * `timetap-sync sync [--location ID] [--json]`: one sync now, in this process, without Redis.
 */
import { createDatabase } from '../db/client.js';
import { EXIT } from '../exit-codes.js';
import type { Runtime } from '../runtime.js';
import { runSettings } from '../sync/run-settings.js';
import { runSync, type SyncRequest } from '../sync/run-sync.js';
import { createTimeTapClient } from '../timetap/index.js';
import { createProgressLine } from './progress.js';
import { formatRunSummary } from './run-summary.js';

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
    const client = createTimeTapClient({ config: config.timetap, logger, redactor, signal: abort.signal });
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
    console.log(options.json ? JSON.stringify(summary, null, 2) : formatRunSummary(summary));
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
