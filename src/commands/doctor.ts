/**
 * `timetap-sync doctor [--json] [--account NAME]`: what this program assumes about TimeTap, held
 * against the configured account (src/doctor/). It needs only the TIMETAP_* variables; with a
 * DATABASE_URL whose schema is up to date it also starts from, and keeps, what the mirror learned
 * of the account (the report pair), and records its result there (`account_profiles`). Exit 0 when
 * the mirror can work with what it found, 1 when it cannot, 2 for an account it does not know.
 */
import type { AccountContext } from '../account.js';
import { createDatabase, type Database } from '../db/database.js';
import { recordDoctorResult } from '../db/index.js';
import { checkDatabase } from '../db/preflight.js';
import { doctorExitCode } from '../doctor/check.js';
import { formatDoctor } from '../doctor/format-doctor.js';
import { runDoctor } from '../doctor/run-doctor.js';
import { describeError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import type { Runtime } from '../runtime.js';
import { selectAccounts } from './account-option.js';
import { CONSOLE_OUTPUT, type CommandOutput } from './output.js';
import { createAccountReportMemory } from './report-memory.js';

export async function doctorCommand(
  runtime: Runtime,
  options: { json?: boolean; account?: string },
  output: CommandOutput = CONSOLE_OUTPUT,
): Promise<number> {
  const { config } = runtime;
  const accounts = selectAccounts(config.accounts, options.account, (line) => output.err(line));
  if (accounts === undefined) return EXIT.usage;
  const database = await mirrorDatabase(runtime, (line) => output.err(line));
  try {
    let worst: number = EXIT.ok;
    for (const account of accounts) {
      worst = Math.max(worst, await doctorAccount(runtime, account, database, options, output));
    }
    return worst;
  } finally {
    await database?.close();
  }
}

async function doctorAccount(
  { config, logger, redactor }: Runtime,
  account: AccountContext,
  database: Database | undefined,
  options: { json?: boolean },
  output: CommandOutput,
): Promise<number> {
  const result = await runDoctor({
    account,
    appointments: config.sync.appointments,
    logger,
    redactor,
    ...(database ? { reportMemory: createAccountReportMemory(database.prisma, account.name) } : {}),
  });
  const { calls, ...printed } = result;
  if (options.json) output.out(JSON.stringify(printed, null, 2));
  else
    for (const line of formatDoctor(printed, { baseUrl: account.timetap.baseUrl, calls })) output.out(line);
  if (database) {
    await recordDoctorResult(database.prisma, printed, account.name).catch((error: unknown) =>
      output.err(
        redactor.scrub(`doctor: the result was not recorded in the database: ${describeError(error)}`),
      ),
    );
  }
  return doctorExitCode(printed) === 0 ? EXIT.ok : EXIT.failure;
}

/** The mirror's database when DATABASE_URL names one whose schema is up to date; else none (said once). */
async function mirrorDatabase(runtime: Runtime, note: (line: string) => void): Promise<Database | undefined> {
  const { config, logger, redactor } = runtime;
  if (config.database.url === '') return undefined;
  try {
    await checkDatabase(config.database, { use: 'command', schema: true });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    note(redactor.scrub(`doctor: not recording the result in the database (${why})`));
    return undefined;
  }
  return createDatabase(config.database, logger);
}
