/**
 * Applies prisma/migrations/<name>/migration.sql files with plain `pg`, because the Prisma CLI's
 * schema engine is a binary that cannot always be downloaded (see the README). It keeps Prisma
 * Migrate's own bookkeeping, so `prisma migrate deploy` (where the engine exists) and this runner
 * accept each other's work:
 * - the `_prisma_migrations` table, created exactly as Prisma Migrate creates it;
 * - checksum = sha256 (hex) of the migration.sql bytes; a row per applied migration with a uuid,
 *   `finished_at` and `applied_steps_count` 1;
 * - the session advisory lock 72707369 that Prisma Migrate takes, held for the whole run, so that
 *   two processes (this runner or `prisma migrate deploy`) never apply concurrently: the second
 *   waits, then finds nothing left to do.
 * Each migration runs in one transaction together with its bookkeeping row, so a crash mid-way
 * leaves no trace and is retried. A migration that fails is recorded as Prisma records one
 * (`finished_at` NULL, the error in `logs`), which blocks later runs until resolved, as Prisma's
 * P3009 does. A migration edited after it was applied is refused (the checksums differ).
 * Migrations that cannot run inside a transaction (CREATE INDEX CONCURRENTLY) are not supported.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Logger } from '../logger.js';

/** The key Prisma Migrate itself locks (`pg_advisory_lock(72707369)`). */
export const MIGRATION_LOCK_KEY = 72707369;

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrateResult {
  /** Names of the migrations this call applied, in order. */
  applied: string[];
  /** How many were already applied before this call. */
  alreadyApplied: number;
}

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export async function migrate(options: {
  databaseUrl: string;
  migrationsDir?: string;
  /** How long to wait for the connection (not for the lock); default 10 s. */
  connectTimeoutMs?: number;
  logger: Logger;
}): Promise<MigrateResult> {
  const { logger } = options;
  const migrations = readMigrations(options.migrationsDir ?? defaultMigrationsDir());
  const client = new pg.Client({
    connectionString: options.databaseUrl,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: 'timetap-sync migrate',
  });
  // A connection that dies while we wait or work must reject the current query, not crash the process.
  client.on('error', (error) =>
    logger.warn({ err: { message: error.message } }, 'migration connection error'),
  );
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return await applyPending(client, migrations, logger);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function applyPending(
  client: pg.Client,
  migrations: MigrationFile[],
  logger: Logger,
): Promise<MigrateResult> {
  await client.query(CREATE_MIGRATIONS_TABLE);
  const { rows } = await client.query<{
    migration_name: string;
    checksum: string;
    finished_at: Date | null;
    logs: string | null;
  }>(
    `SELECT migration_name, checksum, finished_at, logs FROM "_prisma_migrations"
     WHERE rolled_back_at IS NULL ORDER BY started_at`,
  );
  const failed = rows.find((row) => row.finished_at === null);
  if (failed) {
    throw new MigrationError(
      `Migration ${failed.migration_name} failed earlier and is still marked as failed; fix the database, then ` +
        `mark it with \`prisma migrate resolve --rolled-back ${failed.migration_name}\` (or delete its row ` +
        `from _prisma_migrations) and run migrate again.`,
    );
  }
  const applied = new Map(rows.map((row) => [row.migration_name, row.checksum]));
  for (const migration of migrations) {
    const checksum = applied.get(migration.name);
    if (checksum !== undefined && checksum !== migration.checksum) {
      throw new MigrationError(
        `Migration ${migration.name} was modified after it was applied (checksum ${checksum} in the database, ` +
          `${migration.checksum} on disk); restore the original file and add a new migration instead.`,
      );
    }
  }

  const onDisk = new Set(migrations.map((m) => m.name));
  const unknown = [...applied.keys()].filter((name) => !onDisk.has(name));
  if (unknown.length > 0) {
    // Prisma Migrate reports this too: a newer version of the program migrated this database.
    logger.warn({ migrations: unknown }, 'the database has migrations that this version does not know');
  }

  const pending = migrations.filter((m) => !applied.has(m.name));
  const done: string[] = [];
  for (const migration of pending) {
    logger.info({ migration: migration.name }, 'applying migration');
    await applyOne(client, migration);
    done.push(migration.name);
  }
  if (pending.length === 0) logger.info({ migrations: migrations.length }, 'database schema is up to date');
  return { applied: done, alreadyApplied: migrations.length - pending.length };
}

async function applyOne(client: pg.Client, migration: MigrationFile): Promise<void> {
  const id = randomUUID();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), 0)`,
      [id, migration.checksum, migration.name],
    );
    // No parameters: the simple query protocol runs the whole multi-statement script.
    await client.query(migration.sql);
    await client.query(
      `UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1`,
      [id],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    await client
      .query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs, started_at, applied_steps_count)
         VALUES ($1, $2, $3, $4, now(), 0)`,
        [id, migration.checksum, migration.name, message],
      )
      .catch(() => undefined);
    throw new MigrationError(`Migration ${migration.name} failed: ${message}`, { cause: error });
  }
}

/** The migrations on disk, in name order (their timestamp prefix), as Prisma Migrate reads them. */
export function readMigrations(dir: string): MigrationFile[] {
  if (!existsSync(dir)) throw new MigrationError(`Migrations folder not found: ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const bytes = readFileSync(join(dir, name, 'migration.sql'));
      return {
        name,
        sql: bytes.toString('utf8'),
        checksum: createHash('sha256').update(bytes).digest('hex'),
      };
    });
}

/** prisma/migrations of this package, found from here upwards (works from src/ under tsx and from dist/). */
export function defaultMigrationsDir(): string {
  return join(packageRoot(), 'prisma', 'migrations');
}

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir)
      throw new MigrationError('Cannot find the package root (no package.json above src/db)');
    dir = parent;
  }
  return dir;
}
