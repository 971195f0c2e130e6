/**
 * One sync at a time per scope: before a run starts, the worker asks whether another run of the
 * same scope is still alive (running, with a recent heartbeat). A run whose process died stops
 * heart-beating and no longer counts; it is marked `abandoned` by whoever notices: the workers
 * look every half stale period, and every run that starts looks first, so that a `timetap-sync
 * sync` killed on a machine without workers does not stay `running` for ever.
 */
import type { Db } from './database.js';
import { abandonStaleRuns, type RunStart, startRun } from './sync-runs.js';

/**
 * What one run at a time is about, within one account: all of it, one location, or the
 * appointment history.
 */
export type ScopeKey = { account: string } & (
  | { scope: 'full' }
  | { scope: 'location'; locationId: number }
  | { scope: 'backfill' }
);

async function findActiveRun(
  db: Pick<Db, 'syncRun'>,
  scope: ScopeKey,
  options: { freshWithinMs: number; excludeRunId?: number },
): Promise<number | undefined> {
  const run = await db.syncRun.findFirst({
    where: {
      account: scope.account,
      scope: scope.scope,
      ...(scope.scope === 'location' ? { locationId: BigInt(scope.locationId) } : {}),
      status: 'running',
      heartbeatAt: { gt: new Date(Date.now() - options.freshWithinMs) },
      ...(options.excludeRunId === undefined ? {} : { id: { not: options.excludeRunId } }),
    },
    select: { id: true },
    orderBy: { id: 'desc' },
  });
  return run?.id;
}

/**
 * Starts a run unless one of the same scope is alive, as one step: two workers that pick up two
 * full syncs at the same moment (the scheduled one and a manual one) would otherwise both find
 * no active run and both start. A transaction-scoped advisory lock per scope serialises the check
 * and the insert; under READ COMMITTED the check after the lock sees the other's committed run.
 */
export async function startRunIfIdle(
  db: Db,
  run: RunStart & ScopeKey,
  options: { freshWithinMs: number },
): Promise<{ runId: number } | { activeRunId: number }> {
  const { account } = run;
  const scope: ScopeKey =
    run.scope === 'location'
      ? { account, scope: 'location', locationId: run.locationId }
      : { account, scope: run.scope };
  const key = `timetap-sync:run:${account}:${run.scope}${run.scope === 'location' ? `:${run.locationId}` : ''}`;
  await abandonStaleRuns(db, options.freshWithinMs);
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${key}))`;
    const active = await findActiveRun(tx, scope, options);
    if (active !== undefined) return { activeRunId: active };
    return { runId: await startRun(tx, run) };
  });
}
