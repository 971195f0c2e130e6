/**
 * `timetap-sync sync [--location ID] [--json]`: one sync now, in this process, without Redis.
 * The first SIGINT or SIGTERM aborts its requests and the run closes as `failed`; a second one
 * ends the process at once (signals.ts), after closing the run it started, so that the row does
 * not stay `running` (a run whose process was killed outright is abandoned by the next start).
 */
import { randomUUID } from 'node:crypto';
import type { AccountContext } from '../account.js';
import { createDatabase, type Db } from '../db/database.js';
import { failRunsOf } from '../db/index.js';
import { EXIT } from '../exit-codes.js';
import type { Runtime } from '../runtime.js';
import { beforeForcedExit } from '../signals.js';
import type { StepKind } from '../sync/plan.js';
import { runSettings } from '../sync/run-settings.js';
import { type RunProgress, runSync, type SyncRequest } from '../sync/run-sync.js';
import { createTimeTapApi } from '../timetap/index.js';
import { selectAccounts } from './account-option.js';
import { createProgressLine } from './progress.js';
import { createAccountReportMemory } from './report-memory.js';
import { formatRunSummary } from './run-summary.js';

export async function syncCommand(
  runtime: Runtime,
  options: { location?: number; json?: boolean; account?: string },
): Promise<number> {
  const { config } = runtime;
  const accounts = selectAccounts(config.accounts, options.account, (line) => console.error(line));
  if (accounts === undefined) return EXIT.usage;
  const database = createDatabase(config.database, runtime.logger);
  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  // Who started the runs (sync_runs.worker_id): the runs a forced exit must close are ours only.
  const owner = `cli-${process.pid}-${randomUUID().slice(0, 8)}`;
  const forgetLastWords = beforeForcedExit((signal) =>
    failRunsOf(database.prisma, owner, `interrupted: ${signal} twice, the process ended before the run did`),
  );
  try {
    let worst: number = EXIT.ok;
    for (const account of accounts) {
      const code = await syncAccount(
        runtime,
        account,
        { db: database.prisma, signal: abort.signal, owner },
        options,
      );
      worst = Math.max(worst, code);
    }
    return worst;
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    forgetLastWords();
    await database.close();
  }
}

async function syncAccount(
  runtime: Runtime,
  account: AccountContext,
  { db, signal, owner }: { db: Db; signal: AbortSignal; owner: string },
  options: { location?: number; json?: boolean },
): Promise<number> {
  const { config, redactor } = runtime;
  const logger =
    config.accounts.length > 1 ? runtime.logger.child({ account: account.name }) : runtime.logger;
  const progress = createProgressLine(process.stderr, options.json ? false : undefined);
  try {
    const api = createTimeTapApi({
      config: account.timetap,
      logger,
      redactor,
      signal,
      reportMemory: createAccountReportMemory(db, account.name),
    });
    const request: SyncRequest =
      options.location === undefined
        ? { scope: 'full' }
        : { scope: 'location', locationId: options.location };
    const summary = await runSync(
      {
        ...runSettings(config, account),
        api,
        db,
        logger,
        redactor,
        trigger: 'cli',
        workerId: owner,
        onProgress: (steps) => progress.update(`syncing: ${describeProgress(steps)}`),
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
  }
}

/** `locations 12/100, chunks 3/18, clients 1/1`: the steps done of each kind. */
function describeProgress(steps: RunProgress): string {
  const names: Record<StepKind, string> = { location: 'locations', chunk: 'chunks', clients: 'clients' };
  const kinds: StepKind[] = ['location', 'chunk', 'clients'];
  return kinds
    .flatMap((kind) => {
      const count = steps[kind];
      return count ? [`${names[kind]} ${count.done}/${count.total}`] : [];
    })
    .join(', ');
}
