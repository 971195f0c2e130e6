/**
 * `timetap-sync status [--json] [--account NAME]`: the queue's counts and how many workers consume
 * it; per account, recent sync runs, the next scheduled run, its backfills and request rate. Redis down or refusing is one line on stderr within a few seconds,
 * exit 1: never a hang, a stack trace or the password of REDIS_URL.
 */
import type { Queue } from 'bullmq';
import { DEFAULT_ACCOUNT } from '../account.js';
import type { TimeTapConfig } from '../config.js';
import { createDatabase } from '../db/database.js';
import {
  type AccountProfile,
  backfilledHistory,
  readAccountProfile,
  recentRuns,
  type SyncRunRecord,
} from '../db/index.js';
import { EXIT } from '../exit-codes.js';
import { schedulerIdOf } from '../queue/job-schedulers.js';
import { JOB } from '../queue/jobs.js';
import { budgetKey } from '../queue/shared-timetap.js';
import { lastWebhookEvents } from '../queue/webhook-events.js';
import { type AdaptiveRateSnapshot, readAdaptiveRate } from '../redis/adaptive-rate.js';
import { limiterKeys } from '../redis/limiter.js';
import type { Runtime } from '../runtime.js';
import { selectAccounts } from './account-option.js';
import { CONSOLE_OUTPUT, type CommandOutput } from './output.js';
import { withQueueClient } from './queue-client.js';

export async function statusCommand(
  runtime: Runtime,
  options: { json?: boolean; account?: string },
  output: CommandOutput = CONSOLE_OUTPUT,
): Promise<number> {
  const { config, logger, redactor } = runtime;
  const out = (line: string) => output.out(line);
  const err = (line: string) => output.err(redactor.scrub(line));
  const accounts = selectAccounts(config.accounts, options.account, err);
  if (accounts === undefined) return EXIT.usage;
  const database = createDatabase(config.database, logger);
  try {
    // Read while Redis is being reached; awaited below, after Redis may have failed first.
    const readMirror = Promise.all(
      accounts.map(async (account) => {
        const [runs, history, profile] = await Promise.all([
          recentRuns(database.prisma, 10, account.name),
          backfilledHistory(database.prisma, account.name),
          readAccountProfile(database.prisma, account.name),
        ]);
        return { account, runs, history, profile };
      }),
    ).catch((error: unknown) => {
      throw new DatabaseFailure(error);
    });
    readMirror.catch(() => undefined);
    return await withQueueClient(runtime, 'timetap-sync:status', err, async (queue, redis) => {
      const [mirror, counts, workers, backfills, webhooks] = await Promise.all([
        readMirror,
        // `prioritized`: jobs waiting with a priority (a backfill's chunks beside other accounts).
        queue.getJobCounts(
          'active',
          'waiting',
          'prioritized',
          'waiting-children',
          'delayed',
          'completed',
          'failed',
        ),
        queue.getWorkersCount(),
        pendingBackfills(queue),
        lastWebhookEvents(redis, queue),
      ]);
      const statuses = await Promise.all(
        mirror.map(async ({ account, runs, history, profile }) => {
          const [scheduler, learned] = await Promise.all([
            queue.getJobScheduler(schedulerIdOf(account.name)),
            readAdaptiveRate(redis, limiterKeys(budgetKey(account)).adaptive),
          ]);
          return {
            account: account.name,
            nextScheduledRun: scheduler?.next ? new Date(scheduler.next).toISOString() : null,
            schedule: scheduler?.pattern ?? null,
            backfills: backfills.filter((b) => b.account === account.name).map(({ account: _, ...b }) => b),
            backfilledHistory: history,
            requestRate: describeRate(account.timetap, learned),
            timetap: describeProfile(profile),
            runs: runs.map(runRow),
          };
        }),
      );
      if (options.json) {
        const [only] = statuses;
        const shared = { queue: counts, workers, webhooks };
        out(
          JSON.stringify(
            statuses.length === 1 && only ? { ...only, ...shared } : { ...shared, accounts: statuses },
            null,
            2,
          ),
        );
        return EXIT.ok;
      }
      out(
        `queue: ${Object.entries(counts)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
      out(
        `workers consuming the queue: ${workers}${workers === 0 ? ' (start one: timetap-sync worker)' : ''}`,
      );
      out(`webhook events: ${describeWebhooks(webhooks)}`);
      const titled = config.accounts.length > 1;
      for (const status of statuses) {
        if (titled) out(`\naccount ${status.account}:`);
        printAccountStatus(status, out);
      }
      return EXIT.ok;
    });
  } catch (error) {
    // The command line turns a database error into its one line (db/database-problem.ts).
    if (error instanceof DatabaseFailure) throw error.failure;
    throw error;
  } finally {
    await database.close();
  }
}

function runRow(run: SyncRunRecord) {
  return {
    id: run.id,
    scope: run.scope,
    locationId: run.locationId === null ? null : Number(run.locationId),
    trigger: run.trigger,
    status: run.status,
    startedAt: run.startedAt.toISOString(),
    durationS: run.finishedAt ? (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000 : null,
    apiCalls: run.apiCalls,
    error: run.error,
  };
}

interface AccountStatus {
  nextScheduledRun: string | null;
  backfills: Array<Omit<PendingBackfill, 'account'>>;
  backfilledHistory: Awaited<ReturnType<typeof backfilledHistory>>;
  requestRate: { text: string };
  timetap: { text: string };
  runs: Array<ReturnType<typeof runRow>>;
}

function printAccountStatus(status: AccountStatus, out: (line: string) => void): void {
  const { nextScheduledRun: next, backfilledHistory: history } = status;
  out(`next scheduled full sync: ${next ?? 'none (no worker has registered the schedule yet)'}`);
  for (const b of status.backfills) {
    const read = b.progress ? `, ${b.progress.done}/${b.progress.total} chunks read` : '';
    out(`backfill of ${b.from}..${b.to}: job ${b.jobId} ${b.state}${read}`);
  }
  out(
    history.chunks === 0
      ? 'appointment history backfilled: none (timetap-sync backfill --from DATE)'
      : `appointment history backfilled: ${history.chunks} chunks between ${history.from} and ${history.to}, ${history.records} appointments`,
  );
  out(`request rate towards TimeTap: ${status.requestRate.text}`);
  out(`TimeTap account: ${status.timetap.text}`);
  out(status.runs.length === 0 ? 'no sync runs yet' : 'recent runs:');
  for (const r of status.runs) {
    const scope = r.scope === 'location' ? `location ${r.locationId}` : r.scope;
    const took = r.durationS === null ? 'running' : `${r.durationS.toFixed(1)} s`;
    out(
      `  #${r.id}  ${r.startedAt}  ${scope.padEnd(16)} ${r.status.padEnd(9)} ${took.padStart(9)}  ${r.apiCalls} calls  (${r.trigger})`,
    );
    if (r.error && r.status !== 'succeeded') out(`      ${r.error.split('\n')[0]}`);
  }
}

interface PendingBackfill {
  account: string;
  jobId: string;
  from: string;
  to: string;
  state: string;
  progress: { done: number; total: number } | null;
}

/** Backfills waiting or under way, with the chunks read so far (location-job.ts reports them). */
async function pendingBackfills(queue: Queue): Promise<PendingBackfill[]> {
  const jobs = await queue.getJobs(
    ['active', 'waiting-children', 'waiting', 'prioritized', 'delayed'],
    0,
    200,
  );
  const backfills = jobs.filter((job) => job?.name === JOB.backfill);
  return Promise.all(
    backfills.map(async (job) => {
      const progress = job.progress;
      const counted =
        typeof progress === 'object' && progress !== null && 'done' in progress && 'total' in progress
          ? { done: Number(progress.done), total: Number(progress.total) }
          : null;
      return {
        account: String(job.data.account ?? DEFAULT_ACCOUNT),
        jobId: job.id as string,
        from: String(job.data.from),
        to: String(job.data.to),
        state: await job.getState(),
        progress: counted,
      };
    }),
  );
}

function describeWebhooks({ received, applied }: Awaited<ReturnType<typeof lastWebhookEvents>>): string {
  if (!received && !applied) return 'none received';
  const about = (id: number | undefined) => (id === undefined ? '' : ` appointment ${id}`);
  const parts = [];
  if (received) parts.push(`last received ${received.at}${about(received.calendarId)} (${received.outcome})`);
  if (applied) {
    const lag =
      applied.lagMs === undefined ? '' : `, ${(applied.lagMs / 1000).toFixed(1)} s after its webhook`;
    parts.push(`last applied ${applied.at}${about(applied.calendarId)} (${applied.outcome}${lag})`);
  }
  return parts.join('; ');
}

/** What the mirror learned of the account's API (db/account-profiles.ts): the report pair, the last doctor. */
function describeProfile(profile: AccountProfile | undefined) {
  const endpoint = profile?.reportEndpoint ?? null;
  const doctor = doctorSummary(profile?.doctor);
  const parts = [
    endpoint === null
      ? 'report endpoint not learned yet'
      : `appointment reports through ${endpoint === 'report' ? 'report + reportCount' : endpoint}`,
    doctor === null
      ? 'doctor never run (timetap-sync doctor)'
      : `doctor at ${profile?.doctorAt?.toISOString() ?? '?'}: ${doctor}`,
  ];
  return {
    reportEndpoint: endpoint,
    reportEndpointAt: profile?.reportEndpointAt?.toISOString() ?? null,
    doctorAt: profile?.doctorAt?.toISOString() ?? null,
    doctor: profile?.doctor ?? null,
    text: parts.join('; '),
  };
}

/** "2 different, 9 as-assumed" from a stored doctor result; null without one. */
function doctorSummary(doctor: unknown): string | null {
  const checks = (doctor as { checks?: Array<{ result?: unknown }> } | undefined)?.checks;
  if (!Array.isArray(checks)) return null;
  const counts = new Map<string, number>();
  for (const check of checks) counts.set(String(check.result), (counts.get(String(check.result)) ?? 0) + 1);
  return [...counts].map(([result, n]) => `${n} ${result}`).join(', ');
}

/** The shared budget's rate: fixed, or what the fleet learned (redis/adaptive-rate.ts); the status page's too. */
export function describeRate(timetap: TimeTapConfig, learned: AdaptiveRateSnapshot) {
  const bounds = timetap.adaptiveRate;
  if (!bounds) {
    const text = `fixed at ${timetap.maxRps}/s (TIMETAP_ADAPTIVE_RATE=false)`;
    return { adaptive: false, rps: timetap.maxRps, text };
  }
  const rps = Math.min(bounds.ceilingRps, Math.max(bounds.floorRps, learned.rps ?? timetap.maxRps));
  const parts = [
    learned.rps === undefined ? `${rps}/s, nothing learned yet` : `${Number(rps.toFixed(2))}/s learned`,
    `from ${timetap.maxRps}/s within ${bounds.floorRps}-${bounds.ceilingRps}/s`,
  ];
  if (learned.throttles > 0)
    parts.push(`${learned.throttles} 429s, the last at ${learned.lastThrottleAt?.toISOString() ?? '?'}`);
  if (learned.pausedUntil) parts.push(`paused by Retry-After until ${learned.pausedUntil.toISOString()}`);
  return {
    adaptive: true,
    rps,
    floorRps: bounds.floorRps,
    ceilingRps: bounds.ceilingRps,
    throttles: learned.throttles,
    lastThrottleAt: learned.lastThrottleAt?.toISOString() ?? null,
    pausedUntil: learned.pausedUntil?.toISOString() ?? null,
    text: parts.join(', '),
  };
}

/**
 * Tells a database failure from a Redis one: both can be an ECONNREFUSED. Not its `cause`: the
 * queue client classifies an error by its causes too, and would report this one as Redis down.
 */
class DatabaseFailure extends Error {
  constructor(readonly failure: unknown) {
    super('database failure');
  }
}
