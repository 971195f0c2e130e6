/**
 * The `timetap-sync` commands. Exit codes (spec.md, exit-codes.ts): 0 success, 1 failure, 2 bad
 * usage or configuration (one clear message, no stack trace), 3 a sync that finished as `partial`.
 * Command implementations are imported lazily so that `--help` and `simulator` stay fast and do
 * not need the configuration of the others.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ACCOUNT_FLAGS, ACCOUNT_HELP } from './commands/account-option.js';
import type { BackfillOptions } from './commands/backfill.js';
import type { ConfigNeed } from './config.js';
import { DatabaseProblem, explainDatabaseError } from './db/database-problem.js';
import { ConfigError, describeError } from './errors.js';
import { EXIT } from './exit-codes.js';
import { createRedactor, type Redactor } from './redact.js';
import type { Runtime } from './runtime.js';
import { explainUnreachableTimeTap } from './timetap/unreachable.js';

/** How a command uses the database, checked before it runs (db/preflight.ts). */
interface RuntimeOptions {
  /** `schema` (default): the server answers and the schema is up to date; `none`: the command checks itself. */
  database?: 'schema' | 'none';
  /** The long-running worker logs JSON whatever the terminal; one-shot commands may log for a person. */
  service?: boolean;
}

export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let exitCode: number = EXIT.ok;
  // The configuration's redactor, once a command has one: the last line an error prints passes it.
  let redactor: Redactor = createRedactor();
  // The database and the TimeTap of the running command, once known: an error from either
  // becomes one line that names it.
  let databaseUrl: string | undefined;
  let timetapUrl: string | undefined;
  const program = new Command()
    .name('timetap-sync')
    .description('Keeps a complete, fresh copy of a TimeTap account in your own Postgres.')
    .version(packageVersion(), '-V, --version', 'print the version of timetap-sync')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });

  /**
   * An action that validates the configuration its command needs, checks the database it needs
   * (one clear line instead of a failure half-way), then runs the command, whose module is
   * loaded only now. Commander hands the parsed options over first.
   */
  const withRuntime =
    <O>(
      needs: readonly ConfigNeed[],
      command: (runtime: Runtime, options: O) => Promise<number>,
      runtimeOptions: RuntimeOptions = {},
    ) =>
    async (options: O) => {
      const { createRuntime } = await import('./runtime.js');
      const runtime = createRuntime(env, needs, { service: runtimeOptions.service === true });
      redactor = runtime.redactor;
      // Where an unreachable TimeTap is explained from: the first account's base URL, which is
      // every account's unless the accounts file gives one its own.
      if (needs.includes('timetap')) timetapUrl = runtime.config.accounts[0]?.timetap.baseUrl;
      if (needs.includes('database')) {
        databaseUrl = runtime.config.database.url;
        if ((runtimeOptions.database ?? 'schema') === 'schema') {
          const { checkDatabase } = await import('./db/preflight.js');
          await checkDatabase(runtime.config.database, { use: 'command', schema: true });
        }
      }
      exitCode = await command(runtime, options);
    };

  program
    .command('worker')
    .description('run the long-lived worker: job schedulers, sync jobs, HTTP endpoints')
    .action(
      withRuntime(
        ['timetap', 'database', 'redis', 'schedule'],
        async (runtime) => (await import('./commands/worker.js')).workerCommand(runtime),
        { service: true },
      ),
    );

  program
    .command('sync')
    .description('run one sync now, in this process, without Redis')
    .option('--location <id>', 'only this location and its staff and services', parseId)
    .option(ACCOUNT_FLAGS, ACCOUNT_HELP)
    .option('--json', 'print the summary as JSON')
    .action(
      withRuntime(
        ['timetap', 'database'],
        async (runtime, options: { location?: number; json?: boolean; account?: string }) =>
          (await import('./commands/sync.js')).syncCommand(runtime, options),
      ),
    );

  program
    .command('resync')
    .description('ask the running workers for an on-demand sync')
    .option('--location <id>', 'only this location', parseId)
    .option(ACCOUNT_FLAGS, ACCOUNT_HELP)
    .option('--wait', 'wait for the sync and print its result (gives up when no worker consumes the queue)')
    .option('--json', 'print the result as JSON')
    .option(
      '--timeout <duration>',
      'wait at most this long (90s, 10m, 1h), even while no worker consumes the queue; implies --wait',
    )
    .action(
      withRuntime(
        ['redis'],
        async (
          runtime,
          options: { location?: number; wait?: boolean; timeout?: string; json?: boolean; account?: string },
        ) => (await import('./commands/resync.js')).resyncCommand(runtime, options),
      ),
    );

  program
    .command('backfill')
    .description('ask the running workers to read the appointment history older than the rolling window')
    .requiredOption('--from <date>', 'the first day to read (YYYY-MM-DD)')
    .option('--to <date>', 'the last day to read (default: the day before the rolling window starts)')
    .option('--again', 'read even the chunks an earlier backfill read completely')
    .option(ACCOUNT_FLAGS, ACCOUNT_HELP)
    .option('--wait', 'wait for the backfill, show its progress and print its result')
    .option('--json', 'print the result as JSON')
    .option('--timeout <duration>', 'wait at most this long (90s, 10m, 1h); implies --wait')
    .action(
      withRuntime(['redis'], async (runtime, options: BackfillOptions) =>
        (await import('./commands/backfill.js')).backfillCommand(runtime, options),
      ),
    );

  program
    .command('status')
    .description('recent sync runs, the next scheduled run, queue counts, workers consuming the queue')
    .option('--json', 'print as JSON')
    .option(ACCOUNT_FLAGS, ACCOUNT_HELP)
    .action(
      withRuntime(['database', 'redis'], async (runtime, options: { json?: boolean; account?: string }) =>
        (await import('./commands/status.js')).statusCommand(runtime, options),
      ),
    );

  program
    .command('check')
    .description('validate the configuration, log in to TimeTap, count the locations')
    .action(
      withRuntime(['timetap'], async (runtime) =>
        (await import('./timetap/check.js')).runCheck({
          ...runtime,
          out: (line) => console.log(line),
          err: (line) => console.error(line),
        }),
      ),
    );

  program
    .command('doctor')
    .description(
      'read-only: hold what this program assumes about TimeTap against the account, check by check',
    )
    .option(
      '--json',
      'print the result as JSON (attach it to a bug report: it holds no record value, no secret)',
    )
    .option(ACCOUNT_FLAGS, ACCOUNT_HELP)
    .action(
      withRuntime(['timetap'], async (runtime, options: { json?: boolean; account?: string }) =>
        (await import('./commands/doctor.js')).doctorCommand(runtime, options),
      ),
    );

  program
    .command('migrate')
    .description('bring the database schema up to date (safe to run twice, and concurrently)')
    .option('--create-database', 'create the database first if it does not exist')
    .action(
      withRuntime(
        ['database'],
        async (runtime, options: { createDatabase?: boolean }) =>
          (await import('./commands/migrate.js')).migrateCommand(runtime, options),
        { database: 'none' },
      ),
    );

  program
    .command('simulator')
    .description('serve a local imitation of the TimeTap API')
    .option('--port <n>', 'port to listen on (0 = any free port)', parseNonNegative, 4010)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--seed <n>', "seed of the generated account (default: the demo's account)", parseNonNegative)
    .option('--locations <n>', 'number of locations', parseNonNegative)
    .option('--staff <n>', 'number of staff members on the account', parseNonNegative)
    .option('--services <n>', 'number of services on the account', parseNonNegative)
    .option('--staff-per-location <n>', 'staff members per location', parseNonNegative)
    .option('--services-per-location <n>', 'services per location', parseNonNegative)
    .option('--services-per-staff <n>', 'services per staff member per location', parseNonNegative)
    .option('--history-days <n>', 'days of appointments before today (default 365)', parseNonNegative)
    .option('--latency-ms <n>', 'added latency per call', parseNonNegative, 0)
    .option('--token-idle-ms <n>', 'session idle expiry', parseNonNegative)
    .option('--api-key <key>', 'the API key it accepts (default derived from the seed)')
    .option('--private-key <key>', 'the private key it accepts (default derived from the seed)')
    .option(
      '--token-max-calls <n>',
      'data calls one session token serves, then 401 (default unlimited)',
      parseNonNegative,
    )
    .option('--paged [pageSize]', 'page every list with pageNumber/pageSize (default page size 25)', parseId)
    .option(
      '--empty-list-status <200|404>',
      'what a filtered list with no result answers',
      (value: string) => {
        if (value !== '200' && value !== '404') throw new InvalidArgumentError('must be 200 or 404');
        return Number(value);
      },
      404,
    )
    .option(
      '--webhook-url <url>',
      'POST every created, edited or deleted appointment to this URL (never retried)',
    )
    .option(
      '--webhook-format <format>',
      'json, docs-example (malformed like the docs) or mixed',
      (value: string) => {
        if (value !== 'json' && value !== 'docs-example' && value !== 'mixed')
          throw new InvalidArgumentError('must be json, docs-example or mixed');
        return value;
      },
    )
    .option(
      '--live-changes <ms>',
      'change one appointment by itself every ms (book, move, cancel, delete)',
      parseId,
    )
    .option(
      '--hidden-rate-limit <rps>',
      'answer 429 with Retry-After beyond this many requests per second (a limit TimeTap does not publish)',
      parsePositive,
    )
    // The variants other people's traffic shows (docs/doctor.md); each off by default.
    .option(
      '--all-variants',
      'every variant below at once (report pages capped at 10 unless --report-page-cap)',
    )
    .option(
      '--report-order <order>',
      'stable, or date-time: ties of date and time reshuffled on every request',
      oneOf('stable', 'date-time'),
    )
    .option(
      '--report-with-count <mode>',
      'wrapper, absent (404) or unreadable',
      oneOf('wrapper', 'absent', 'unreadable'),
    )
    .option('--no-report-with-count', 'reportWithCount answers 404 (the same as --report-with-count absent)')
    .option(
      '--report-count <shape>',
      "reportCount's answer: count ({count}), number or totalCount",
      oneOf('count', 'number', 'totalCount'),
    )
    .option('--status-default <statuses>', 'what a report without statusList holds, such as OPEN,PENDING')
    .option('--html-401', 'every 401 is an HTML page')
    .option('--no-retry-after', "the hidden rate limit's 429s carry no Retry-After")
    .option(
      '--token-style <style>',
      'session tokens st:api:api:<hex> (colon) or st.api.api.<hex> (dotted)',
      oneOf('colon', 'dotted'),
    )
    .option('--non-client-entries', 'reports hold time-off and class entries besides client bookings')
    .option(
      '--location-time-zones <style>',
      'object, legacy (US/Pacific), null or mixed',
      oneOf('object', 'legacy', 'null', 'mixed'),
    )
    .option('--impossible-dates', 'some appointments carry an impossible endDate')
    .option('--gateway-timeout-above <n>', 'report pages of more than n records answer 504', parseId)
    .option('--max-report-days <n>', 'report ranges over n days answer 400', parseId)
    .option('--report-page-cap <n>', 'report pages hold at most n records (default 100)', parseId)
    .action(async (options: Record<string, unknown>) => {
      const { runSimulatorCommand } = await import('./simulator/standalone.js');
      await runSimulatorCommand(dropUndefined(options));
      await new Promise<never>(() => {}); // serves until a signal stops the process
    });

  program
    .command('demo')
    .description("the newcomer's tour: simulator, migrate, one full sync through the queue, the report")
    .option('--keep-running', 'then go on as a worker (webhooks, a sync every minute) until Ctrl-C')
    .option(
      '--schedule <pattern>',
      'with --keep-running: the cron pattern of the full sync (default every minute)',
    )
    .action(async (options: { keepRunning?: boolean; schedule?: string }) => {
      // The demo builds its own configuration: it must run without a TimeTap account.
      exitCode = await (await import('./commands/demo.js')).demoCommand(env, options);
    });

  program
    .command('report')
    .description('a reporting summary read from the mirror')
    .option('--json', 'print as JSON')
    .option(ACCOUNT_FLAGS, ACCOUNT_HELP)
    .action(
      withRuntime(['database'], async (runtime, options: { json?: boolean; account?: string }) =>
        (await import('./commands/report.js')).reportCommand(runtime, options),
      ),
    );

  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    return exitCodeFor(error, redactor, { databaseUrl, timetapUrl });
  }
}

function exitCodeFor(
  error: unknown,
  redactor: Redactor,
  urls: { databaseUrl: string | undefined; timetapUrl: string | undefined },
): number {
  if (error instanceof CommanderError) {
    // --help and --version end through here with exit code 0.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof ConfigError) {
    console.error(error.message);
    return EXIT.usage;
  }
  // Postgres down, a database or schema missing: one line that says what to do, not Prisma's
  // multi-line account of the call that failed. Only for an error that may be Postgres's: the
  // service an error came from is told by its type, never by the network code in its causes.
  const problem =
    error instanceof DatabaseProblem
      ? error
      : urls.databaseUrl === undefined
        ? undefined
        : explainDatabaseError(error, urls.databaseUrl);
  if (problem) {
    console.error(`error: ${redactor.scrub(problem.message)}`);
    return problem.kind === 'missing-schema' ? EXIT.usage : EXIT.failure;
  }
  const timetap =
    urls.timetapUrl === undefined ? undefined : explainUnreachableTimeTap(error, urls.timetapUrl);
  if (timetap) {
    console.error(`error: ${redactor.scrub(timetap)}`);
    return EXIT.failure;
  }
  console.error(`error: ${redactor.scrub(describeError(error))}`);
  return EXIT.failure;
}

/** The version in package.json (one level above src/ and dist/ alike). */
function packageVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

// Plain decimal digits only, as the variables are (config.ts): `Number()` would also read "0x10",
// "1e3" and " 7", and run a sync of a location nobody typed.
const WHOLE = /^\d+$/;
const DECIMAL = /^\d+(\.\d+)?$/;

function parseId(value: string): number {
  const id = Number(value);
  if (!WHOLE.test(value) || !Number.isSafeInteger(id) || id <= 0)
    throw new InvalidArgumentError('must be a positive integer, in decimal digits');
  return id;
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!DECIMAL.test(value) || !(n > 0)) throw new InvalidArgumentError('must be a number above 0');
  return n;
}

/** A choice among fixed words. */
function oneOf(...choices: string[]): (value: string) => string {
  return (value) => {
    if (!choices.includes(value)) throw new InvalidArgumentError(`must be one of ${choices.join(', ')}`);
    return value;
  };
}

function parseNonNegative(value: string): number {
  const n = Number(value);
  if (!WHOLE.test(value) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError('must be a non-negative integer, in decimal digits');
  return n;
}

function dropUndefined<T extends Record<string, unknown>>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as T;
}
