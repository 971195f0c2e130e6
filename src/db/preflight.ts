/**
 * Before a command uses Postgres: one connection that proves the server answers, the database
 * exists and lets us in, and (for commands that read or write the mirror) that `migrate` has
 * brought its schema up to date. A command that would otherwise fail half-way, in Prisma's
 * words, fails at once with one line saying what to do (database-problem.ts).
 */
import pg from 'pg';
import type { Config } from '../config.js';
import {
  type DatabaseUse,
  databaseProblem,
  databaseTarget,
  explainDatabaseError,
} from './database-problem.js';
import { defaultMigrationsDir, readMigrations } from './migrate.js';

export interface PreflightOptions {
  use: DatabaseUse;
  /** Also require the schema of every migration this version has. */
  schema: boolean;
  /** Where this version's migrations are (default prisma/migrations of the package). */
  migrationsDir?: string;
}

export async function checkDatabase(
  config: Pick<Config['database'], 'url' | 'connectTimeoutMs'>,
  options: PreflightOptions,
): Promise<void> {
  const client = new pg.Client({
    connectionString: config.url,
    connectionTimeoutMillis: config.connectTimeoutMs,
    application_name: 'timetap-sync preflight',
  });
  // A connection that dies mid-check rejects the query; it must not crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
    if (options.schema) await checkSchema(client, config.url, options);
  } catch (error) {
    throw explainDatabaseError(error, config.url, options.use) ?? error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkSchema(client: pg.Client, url: string, options: PreflightOptions): Promise<void> {
  const { rows } = await client.query<{ tables: boolean; bookkeeping: boolean }>(
    `SELECT to_regclass('sync_runs') IS NOT NULL AS tables,
            to_regclass('_prisma_migrations') IS NOT NULL AS bookkeeping`,
  );
  const target = databaseTarget(url);
  if (rows[0]?.tables !== true || rows[0]?.bookkeeping !== true) {
    throw databaseProblem('missing-schema', target, options.use);
  }
  const applied = await client.query<{ migration_name: string }>(
    `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
  );
  const done = new Set(applied.rows.map((row) => row.migration_name));
  const pending = readMigrations(options.migrationsDir ?? defaultMigrationsDir()).filter(
    (migration) => !done.has(migration.name),
  );
  if (pending.length > 0) {
    const names = pending.map((migration) => migration.name).join(', ');
    throw databaseProblem(
      'missing-schema',
      target,
      options.use,
      `${pending.length} migration${pending.length === 1 ? '' : 's'} not applied: ${names}`,
    );
  }
}
