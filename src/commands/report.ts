/**
 * `timetap-sync report [--json]`: a reporting summary read from the mirror (needs only
 * DATABASE_URL). Exits 0 whenever the report could be read, warnings included: the warnings are
 * in the text and in the JSON (`warnings`, `freshness.stale`) for scripts to act on.
 */
import { createDatabase, type Db } from '../db/database.js';
import { EXIT } from '../exit-codes.js';
import { formatReport } from '../report/format-report.js';
import { hasReportingViews, type Report, readReport } from '../report/read-report.js';
import type { Runtime } from '../runtime.js';

export async function reportCommand(runtime: Runtime, options: { json?: boolean }): Promise<number> {
  const { config, logger } = runtime;
  const database = createDatabase(config.database, logger);
  try {
    const report = await tryReadReport(database.prisma, config.sync.schedule);
    if (!report) {
      console.error(
        'error: this database has no timetap-sync schema (or an old one): run `timetap-sync migrate` first',
      );
      return EXIT.usage;
    }
    console.log(options.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return EXIT.ok;
  } finally {
    await database.close();
  }
}

/** The report, or undefined when the database lacks the reporting views. */
async function tryReadReport(db: Db, schedule: string): Promise<Report | undefined> {
  if (!(await hasReportingViews(db))) return undefined;
  return readReport(db, { schedule });
}
