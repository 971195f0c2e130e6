/**
 * `timetap-sync report [--json] [--account NAME]`: a reporting summary read from the mirror (needs
 * only DATABASE_URL), one per account. Exits 0 whenever the report could be read, warnings
 * included: the warnings are in the text and in the JSON (`warnings`, `freshness.stale`) for
 * scripts to act on. One account prints its report object as JSON; several print
 * `{"accounts": [...]}`, one report each.
 */
import type { AccountContext } from '../account.js';
import { createDatabase, type Db } from '../db/database.js';
import { EXIT } from '../exit-codes.js';
import { formatReport } from '../report/format-report.js';
import { hasReportingViews, type Report, readReport } from '../report/read-report.js';
import type { Runtime } from '../runtime.js';
import { selectAccounts } from './account-option.js';

export async function reportCommand(
  runtime: Runtime,
  options: { json?: boolean; account?: string },
): Promise<number> {
  const { config, logger } = runtime;
  const accounts = selectAccounts(config.accounts, options.account, (line) => console.error(line));
  if (accounts === undefined) return EXIT.usage;
  const database = createDatabase(config.database, logger);
  try {
    const reports = await tryReadReports(database.prisma, accounts);
    if (!reports) {
      console.error(
        'error: this database has no timetap-sync schema (or an old one): run `timetap-sync migrate` first',
      );
      return EXIT.usage;
    }
    if (options.json) {
      const [only] = reports;
      console.log(JSON.stringify(reports.length === 1 ? only : { accounts: reports }, null, 2));
    } else {
      const titled = reports.length > 1;
      console.log(
        reports.map((r) => (titled ? `Account ${r.account}\n\n` : '') + formatReport(r)).join('\n\n'),
      );
    }
    return EXIT.ok;
  } finally {
    await database.close();
  }
}

/** The reports, or undefined when the database lacks the reporting views. */
async function tryReadReports(db: Db, accounts: readonly AccountContext[]): Promise<Report[] | undefined> {
  if (!(await hasReportingViews(db))) return undefined;
  const reports: Report[] = [];
  for (const account of accounts) {
    reports.push(await readReport(db, { account: account.name, schedule: account.schedule }));
  }
  return reports;
}
