/**
 * One sync at a time per scope: before a run starts, the worker asks whether another run of the
 * same scope is still alive (running, with a recent heartbeat). A run whose process died stops
 * heart-beating and no longer counts; it is marked `abandoned` by whoever notices.
 */
import type { Db } from './client.js';

export async function findActiveRun(
  db: Db,
  scope: { scope: 'full' } | { scope: 'location'; locationId: number },
  options: { freshWithinMs: number; excludeRunId?: number },
): Promise<number | undefined> {
  const run = await db.syncRun.findFirst({
    where: {
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
