/**
 * `npm run bench [-- --quick | --smoke] [--only 1,3] [--out FILE] [--report-order date-time]`: the
 * benchmarks of issue 7
 * against the local Postgres and Redis (DATABASE_URL / REDIS_URL, default the loopback services)
 * and the simulator. Prints one table and writes it to bench/RESULTS.md (or --out).
 *
 *   1 full sync       wall time through a worker process against the API bound
 *   2 unchanged resync rows written (pg_stat_user_tables) and time against the bound
 *   3 write path      the project's bulk writes against a Prisma upsert loop and COPY
 *   4 memory          peak RSS of the worker, large account and one ten times larger
 *   5 scale-out       one worker process, then two, under one shared budget
 *   6 appointments    a year's backfill through the worker against the API bound, the appointment
 *                     write path against a Prisma upsert loop, peak RSS of a year's backfill
 *                     against a month's, the API calls of one scheduled window sync; and a bigger
 *                     account's backfill (about 1.1 million appointments; not at --quick): time
 *                     against the bound, peak RSS, rows/s, disk per million appointments
 *   7 webhooks        a burst of webhook events for distinct appointments, POSTed to a worker
 *                     process under a binding budget: fetches, rows mirrored, lag against the bound
 *   8 adaptive rate   two worker processes learn a hidden limit of 12/s, then follow it down to 4/s
 *   9 history         the appointment write path with HISTORY_MODE on against off (first load, 10%
 *                     changed), and the history rows and disk of a year's backfill
 *  10 accounts       50 accounts (5 locations each, a simulator each, the same TimeTap ids) on 3
 *                     worker processes, every full sync queued at once: the time for all against
 *                     the busiest account's API bound, each account's rows against its simulator,
 *                     each account's busiest second against its budget; and one account's full
 *                     sync while another backfills a year, against the same sync alone
 *
 * `--report-order date-time` runs 6 against a report whose order is stable only by date and start
 * time (ties reshuffled on every request), to measure what that variant costs.
 *
 * Exit code 0 when every measurement ran (missed targets are in the table), 1 when one failed.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { measureAccounts } from './accounts.js';
import { measureAdaptiveRate } from './adaptive-rate.js';
import { measureApiBound } from './api-bound.js';
import { measureAppointments } from './appointments.js';
import { measureBusyAccount } from './busy-account.js';
import { createBenchDatabases } from './databases.js';
import type { BenchContext, BenchSection } from './figures.js';
import { measureHistory } from './history.js';
import { describeMachine } from './machine.js';
import { measureMemory } from './memory.js';
import { renderReport } from './report.js';
import { measureScaleOut } from './scale-out.js';
import { SIZES, type SizeName } from './sizes.js';
import { measureWebhooks } from './webhooks.js';
import { measureWritePath } from './write-path.js';

const SECTIONS: Array<[string, (ctx: BenchContext) => Promise<BenchSection>]> = [
  ['1-2', measureApiBound],
  ['3', measureWritePath],
  ['4', measureMemory],
  ['5', measureScaleOut],
  ['6', measureAppointments],
  ['6', measureBusyAccount],
  ['7', measureWebhooks],
  ['8', measureAdaptiveRate],
  ['9', measureHistory],
  ['10', measureAccounts],
];

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string' },
      'report-order': { type: 'string' },
    },
  });
  const size: SizeName = values.smoke ? 'smoke' : values.quick ? 'quick' : 'full';
  const sizes = SIZES[size];
  const adminUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const only = values.only?.split(',').map((s) => s.trim());
  const out = values.out ?? new URL('RESULTS.md', import.meta.url);

  const startedAt = new Date();
  const log = (message: string) =>
    process.stderr.write(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(1)}s] ${message}\n`);
  const machine = await describeMachine(adminUrl, redisUrl);
  const databases = await createBenchDatabases(adminUrl);
  const reportOrder = values['report-order'];
  if (reportOrder !== undefined && reportOrder !== 'stable' && reportOrder !== 'date-time')
    throw new Error('--report-order must be stable or date-time');
  const ctx: BenchContext = {
    sizes,
    adminUrl,
    redisUrl,
    databases,
    log,
    ...(reportOrder ? { variants: { reportOrder } } : {}),
  };
  const figures: BenchSection['figures'] = [];
  const notes: string[] = [];
  const errors: string[] = [];
  try {
    for (const [key, measure] of SECTIONS) {
      if (only && !key.split('-').some((k) => only.includes(k))) continue;
      try {
        const section = await measure(ctx);
        figures.push(...section.figures);
        notes.push(...section.notes);
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        log(`measurement ${key} failed: ${message}`);
        errors.push(`measurement ${key}: ${message.split('\n')[0]}`);
      }
    }
  } finally {
    await databases.dropAll();
  }
  const report = renderReport({
    sizes,
    machine,
    figures,
    notes,
    errors,
    startedAt,
    durationMs: Date.now() - startedAt.getTime(),
  });
  process.stdout.write(`${report}\n`);
  writeFileSync(out, report);
  log(`written to ${out instanceof URL ? out.pathname : out}`);
  return errors.length > 0 ? 1 : 0;
}

// Exits explicitly, like the project's one-shot commands: a stray handle must not hold the run.
process.exit(await main());
