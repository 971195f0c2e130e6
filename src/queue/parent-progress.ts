/**
 * A run's progress (its steps done / planned) where the dashboard, `status`, `resync --wait` and
 * `backfill --wait` see it: the parent job's progress, updated after each child. The count comes
 * from BullMQ's own record of the parent's dependencies, so concurrent children cannot miscount.
 */
import { Job, type Queue } from 'bullmq';
import { STEP_JOB } from './jobs.js';

const STEP_JOBS: ReadonlySet<string> = new Set(Object.values(STEP_JOB));

export async function reportParentProgress(job: Job, queue: Queue): Promise<void> {
  const parentId = job.parent?.id;
  if (!STEP_JOBS.has(job.name) || !parentId) return;
  const parent = await Job.fromId(queue, parentId);
  if (parent) await showChildProgress(parent);
}

/**
 * A backfill also counts, as done, the chunks it skipped because an earlier one had read them
 * (`data`: the parent's data as its own processor knows it, fresher than the `Job` it was given).
 */
export async function showChildProgress(
  parent: Job,
  data: { skipped?: unknown } = parent.data,
): Promise<void> {
  const counts = await parent.getDependenciesCount();
  const skipped = typeof data?.skipped === 'number' ? data.skipped : 0;
  const done = skipped + (counts.processed ?? 0) + (counts.ignored ?? 0) + (counts.failed ?? 0);
  await parent.updateProgress({ done, total: done + (counts.unprocessed ?? 0) });
}
