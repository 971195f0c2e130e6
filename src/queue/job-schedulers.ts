/**
 * One job scheduler of the scheduled full sync per account, at the account's own schedule. Each
 * has a stable id (`default`'s is the one a single-account worker always registered), so that
 * restarts and replicas never duplicate one. A scheduler of an account no longer configured is
 * removed: it would queue, every period, a sync that fails (the account is unknown).
 */
import type { Queue } from 'bullmq';
import { type AccountContext, DEFAULT_ACCOUNT } from '../account.js';
import { type JobRetry, jobOptions } from './enqueue.js';
import { JOB, type JobData, SCHEDULER_ID } from './jobs.js';

/** `default` keeps SCHEDULER_ID; another account's id ends in its name. */
export function schedulerIdOf(account: string): string {
  return account === DEFAULT_ACCOUNT ? SCHEDULER_ID : `${SCHEDULER_ID}-${account}`;
}

/** Registers every account's scheduler (again: a repeat is a no-op) and removes those of no account. */
export async function upsertJobSchedulers(
  queue: Queue,
  accounts: readonly Pick<AccountContext, 'name' | 'schedule'>[],
  retry: JobRetry,
): Promise<void> {
  const wanted = new Set(accounts.map((account) => schedulerIdOf(account.name)));
  for (const account of accounts) {
    // `default`'s job carries no account, as it always did: a job without one is `default`'s.
    const data: JobData<'full-sync'> =
      account.name === DEFAULT_ACCOUNT
        ? { trigger: 'schedule' }
        : { trigger: 'schedule', account: account.name };
    await queue.upsertJobScheduler(
      schedulerIdOf(account.name),
      { pattern: account.schedule },
      { name: JOB.fullSync, data, opts: jobOptions(retry) },
    );
  }
  const existing = await queue.getJobSchedulers(0, -1);
  for (const scheduler of existing) {
    // BullMQ lists a scheduler whose data vanished as undefined (and removes it itself).
    const id = scheduler?.key;
    if (id === undefined) continue;
    const ours = id === SCHEDULER_ID || id.startsWith(`${SCHEDULER_ID}-`);
    if (ours && !wanted.has(id)) await queue.removeJobScheduler(id);
  }
}
