/**
 * A fresh, migrated database per test file, cloned from a template database (as graphile-worker's
 * tests do): migrating once and cloning is far faster than migrating per file. The template's
 * name carries a hash of the migration files, so a changed or added migration builds a new one.
 * Parallel test files cooperate through an advisory lock on the admin connection: one builds the
 * template (under a temporary name, renamed when complete, so a crash never leaves a half-built
 * template), the others wait and clone.
 */
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { createDatabase, type Db } from '../../src/db/database.js';
import { defaultMigrationsDir, migrate, readMigrations } from '../../src/db/migrate.js';

export interface TestDatabase {
  url: string;
  db: Db;
  /** Closes the client and drops the database. */
  close(): Promise<void>;
}

const TEMPLATE_LOCK_KEY = 72707370;
const silent = pino({ level: 'silent' });

export function templateName(migrationsDir = defaultMigrationsDir()): string {
  const hash = createHash('sha256');
  for (const m of readMigrations(migrationsDir)) hash.update(`${m.name}:${m.checksum}\n`);
  return `timetap_test_template_${hash.digest('hex').slice(0, 12)}`;
}

export function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * The server of a test database URL as messages name it: `host:port` and the `createdb` options,
 * so that no test assumes where the test Postgres listens (TEST_DATABASE_URL may say otherwise).
 */
export function serverOf(url: string): { hostPort: string; createdbOptions: string } {
  const { hostname, port, username } = new URL(url);
  const hostPort = `${hostname}:${port || '5432'}`;
  const user = username ? ` -U ${decodeURIComponent(username)}` : '';
  return { hostPort, createdbOptions: `-h ${hostname} -p ${port || '5432'}${user}` };
}

/** Creates an empty database (no migrations), for tests of the migrations themselves. */
export async function createEmptyDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `timetap_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (admin) => admin.query(`CREATE DATABASE "${name}"`));
  return { url: databaseUrl(adminUrl, name), drop: () => dropDatabase(adminUrl, name) };
}

export async function createTestDatabase(adminUrl: string): Promise<TestDatabase> {
  const template = templateName();
  const name = `timetap_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, async (admin) => {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (exists.rowCount === 0) {
        const building = `${template}_building`;
        await admin.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
        await admin.query(`CREATE DATABASE "${building}"`);
        await migrate({ databaseUrl: databaseUrl(adminUrl, building), logger: silent });
        await admin.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
      }
      await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]);
    }
  });
  const url = databaseUrl(adminUrl, name);
  const database = createDatabase(
    { url, poolSize: 5, connectTimeoutMs: 10_000, statementTimeoutMs: 30_000 },
    silent,
  );
  return {
    url,
    db: database.prisma,
    async close() {
      await database.close();
      await dropDatabase(adminUrl, name);
    },
  };
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withAdmin(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

async function withAdmin<T>(adminUrl: string, fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminUrl });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}
