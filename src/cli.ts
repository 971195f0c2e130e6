/**
 * The `timetap-sync` commands. Exit codes (spec.md): 0 success, 1 failure, 2 bad usage or
 * configuration (one clear message, no stack trace), 3 a sync that finished as `partial`.
 * Command implementations are imported lazily so that `--help` and `simulator` stay fast and do
 * not need the configuration of the others.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ConfigError, describeError } from './errors.js';
import { EXIT } from './exit-codes.js';

export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command()
    .name('timetap-sync')
    .description('Keeps a complete, fresh copy of a TimeTap account in your own Postgres.')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });

  const run = (action: () => Promise<number>) => async () => {
    exitCode = await action();
  };

  program
    .command('worker')
    .description('run the long-lived worker: job schedulers, sync jobs, HTTP endpoints')
    .action(
      run(async () => {
        const { createRuntime } = await import('./runtime.js');
        const { workerCommand } = await import('./commands/worker.js');
        return workerCommand(createRuntime(env, ['timetap', 'database', 'redis']));
      }),
    );

  program
    .command('sync')
    .description('run one sync now, in this process, without Redis')
    .option('--location <id>', 'only this location and its staff and services', parseId)
    .option('--json', 'print the summary as JSON')
    .action(
      run(async () => {
        const { createRuntime } = await import('./runtime.js');
        const { syncCommand } = await import('./commands/sync.js');
        return syncCommand(createRuntime(env, ['timetap', 'database']), commandOptions(program, 'sync'));
      }),
    );

  program
    .command('resync')
    .description('ask the running workers for an on-demand sync')
    .option('--location <id>', 'only this location', parseId)
    .option('--wait', 'wait for the sync and print its result')
    .action(
      run(async () => {
        const { createRuntime } = await import('./runtime.js');
        const { resyncCommand } = await import('./commands/resync.js');
        return resyncCommand(createRuntime(env, ['redis']), commandOptions(program, 'resync'));
      }),
    );

  program
    .command('status')
    .description('recent sync runs, the next scheduled run, queue counts')
    .option('--json', 'print as JSON')
    .action(
      run(async () => {
        const { createRuntime } = await import('./runtime.js');
        const { statusCommand } = await import('./commands/status.js');
        return statusCommand(createRuntime(env, ['database', 'redis']), commandOptions(program, 'status'));
      }),
    );

  program
    .command('check')
    .description('validate the configuration, log in to TimeTap, count the locations')
    .action(
      run(async () => {
        const { createRuntime } = await import('./runtime.js');
        const { runCheck } = await import('./timetap/check.js');
        const runtime = createRuntime(env, ['timetap']);
        return runCheck({ ...runtime, out: (line) => console.log(line) });
      }),
    );

  program
    .command('migrate')
    .description('bring the database schema up to date (safe to run twice, and concurrently)')
    .action(
      run(async () => {
        const { createRuntime } = await import('./runtime.js');
        const { migrate } = await import('./db/migrate.js');
        const { config, logger } = createRuntime(env, ['database']);
        const result = await migrate({ databaseUrl: config.database.url, logger });
        console.log(
          result.applied.length === 0
            ? `ok: schema up to date (${result.alreadyApplied} migrations)`
            : `ok: applied ${result.applied.join(', ')}`,
        );
        return EXIT.ok;
      }),
    );

  program
    .command('simulator')
    .description('serve a local imitation of the TimeTap API')
    .option('--port <n>', 'port to listen on (0 = any free port)', parseNonNegative, 4010)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--seed <n>', 'seed of the generated account', parseNonNegative, 1)
    .option('--locations <n>', 'number of locations', parseNonNegative)
    .option('--staff <n>', 'number of staff members on the account', parseNonNegative)
    .option('--services <n>', 'number of services on the account', parseNonNegative)
    .option('--staff-per-location <n>', 'staff members per location', parseNonNegative)
    .option('--services-per-location <n>', 'services per location', parseNonNegative)
    .option('--services-per-staff <n>', 'services per staff member per location', parseNonNegative)
    .option('--latency-ms <n>', 'added latency per call', parseNonNegative, 0)
    .option('--token-idle-ms <n>', 'session idle expiry', parseNonNegative)
    .option('--api-key <key>', 'the API key it accepts (default derived from the seed)')
    .option('--private-key <key>', 'the private key it accepts (default derived from the seed)')
    .action(
      run(async () => {
        const { runSimulatorCommand } = await import('./simulator/standalone.js');
        await runSimulatorCommand(dropUndefined(commandOptions(program, 'simulator')));
        return new Promise<number>(() => {}); // serves until a signal stops the process
      }),
    );

  program
    .command('demo')
    .description("the newcomer's tour: simulator, migrate, one full sync through the queue, the report")
    .action(
      run(async () => {
        const { demoCommand } = await import('./commands/demo.js');
        return demoCommand(env);
      }),
    );

  program
    .command('report')
    .description('a reporting summary read from the mirror')
    .option('--json', 'print as JSON')
    .action(
      run(async () => {
        const { createRuntime } = await import('./runtime.js');
        const { reportCommand } = await import('./commands/report.js');
        return reportCommand(createRuntime(env, ['database']), commandOptions(program, 'report'));
      }),
    );

  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    return exitCodeFor(error);
  }
}

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // --help and --version end through here with exit code 0.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof ConfigError) {
    console.error(error.message);
    return EXIT.usage;
  }
  console.error(`error: ${describeError(error)}`);
  return EXIT.failure;
}

// biome-ignore lint/suspicious/noExplicitAny: commander's parsed options are untyped; each command validates its own.
function commandOptions(program: Command, name: string): any {
  return program.commands.find((c) => c.name() === name)?.opts() ?? {};
}

function parseId(value: string): number {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id <= 0) throw new InvalidArgumentError('must be a positive integer');
  return id;
}

function parseNonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

function dropUndefined<T extends Record<string, unknown>>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as T;
}
