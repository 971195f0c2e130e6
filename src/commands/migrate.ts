/**
 * `timetap-sync migrate`: brings the database schema up to date; safe to run twice, and from two
 * processes at once (src/db/migrate.ts holds Prisma Migrate's own advisory lock).
 */
import { migrate } from '../db/migrate.js';
import { EXIT } from '../exit-codes.js';
import type { Runtime } from '../runtime.js';

export async function migrateCommand({ config, logger }: Runtime): Promise<number> {
  const result = await migrate({ databaseUrl: config.database.url, logger });
  console.log(
    result.applied.length === 0
      ? `ok: schema up to date (${result.alreadyApplied} migrations)`
      : `ok: applied ${result.applied.join(', ')}`,
  );
  return EXIT.ok;
}
