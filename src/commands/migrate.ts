/**
 * `timetap-sync migrate [--create-database]`: brings the database schema up to date; safe to run
 * twice, and from two processes at once (src/db/migrate.ts holds Prisma Migrate's own advisory
 * lock). With --create-database it first creates the configured database if it does not exist
 * (the first step on a new server), which is safe to race too.
 */
import { createDatabaseIfMissing } from '../db/create-database.js';
import { databaseTarget, describeTarget, explainDatabaseError } from '../db/database-problem.js';
import { migrate } from '../db/migrate.js';
import { EXIT } from '../exit-codes.js';
import type { Runtime } from '../runtime.js';

export async function migrateCommand(
  { config, logger }: Runtime,
  options: { createDatabase?: boolean } = {},
): Promise<number> {
  const { url, connectTimeoutMs } = config.database;
  if (options.createDatabase) {
    const { created } = await createDatabaseIfMissing(url, { connectTimeoutMs });
    if (created) console.log(`created the database ${describeTarget(databaseTarget(url))}`);
  }
  let result: Awaited<ReturnType<typeof migrate>>;
  try {
    result = await migrate({ databaseUrl: url, connectTimeoutMs, logger });
  } catch (error) {
    throw explainDatabaseError(error, url, 'migrate') ?? error;
  }
  console.log(
    result.applied.length === 0
      ? `ok: schema up to date (${result.alreadyApplied} migrations)`
      : `ok: applied ${result.applied.join(', ')}`,
  );
  return EXIT.ok;
}
