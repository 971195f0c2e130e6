/**
 * The database checks every command runs first (src/db/preflight.ts, database-problem.ts): the
 * kind of problem and its one line, read from node-postgres and from Prisma alike, and the
 * database creation of `migrate --create-database`, raced.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createDatabaseIfMissing } from '../../src/db/create-database.js';
import { createDatabase } from '../../src/db/database.js';
import { DatabaseProblem, explainDatabaseError } from '../../src/db/database-problem.js';
import { defaultMigrationsDir } from '../../src/db/migrate.js';
import { checkDatabase } from '../../src/db/preflight.js';
import { createEmptyDatabase, createTestDatabase, databaseUrl, serverOf } from '../helpers/database.js';
import { freePort } from '../helpers/free-port.js';

const adminUrl = inject('databaseUrl');
const silent = pino({ level: 'silent' });
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function problemOf(promise: Promise<unknown>): Promise<DatabaseProblem> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatabaseProblem);
  return error as DatabaseProblem;
}

const check = (url: string, schema = true, migrationsDir?: string) =>
  checkDatabase(
    { url, connectTimeoutMs: 3_000 },
    { use: 'command', schema, ...(migrationsDir ? { migrationsDir } : {}) },
  );

describe('checkDatabase', () => {
  it('passes a migrated database', async () => {
    const database = await createTestDatabase(adminUrl);
    cleanups.push(() => database.close());
    await expect(check(database.url)).resolves.toBeUndefined();
  });

  it('Postgres down: unreachable, at once, naming server and database but not the password', async () => {
    const port = await freePort();
    const started = Date.now();
    const problem = await problemOf(check(`postgresql://postgres:s3cret-pw@127.0.0.1:${port}/mirror`));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(problem.kind).toBe('unreachable');
    expect(problem.retryable).toBe(true);
    expect(problem.message).toBe(
      `cannot reach Postgres at 127.0.0.1:${port} for the database "mirror" (connection refused): ` +
        'start Postgres, or point DATABASE_URL at the right server',
    );
  });

  it('an unknown host is unreachable too', async () => {
    const problem = await problemOf(check('postgresql://postgres@no-such-host.invalid:5432/mirror'));
    expect(problem.kind).toBe('unreachable');
    expect(problem.message).toContain('no-such-host.invalid:5432');
  });

  it('a missing database, an unknown user, a database without the schema', async () => {
    const missing = await problemOf(check(databaseUrl(adminUrl, 'timetap_no_such_db_4f2')));
    expect(missing.kind).toBe('missing-database');
    expect(missing.retryable).toBe(false);
    expect(missing.message).toContain(
      `createdb ${serverOf(adminUrl).createdbOptions} timetap_no_such_db_4f2`,
    );

    const nobody = new URL(adminUrl);
    nobody.username = 'timetap_no_such_role';
    nobody.password = 'pw-never-shown';
    const denied = await problemOf(check(nobody.toString()));
    expect(denied.kind).toBe('access-denied');
    expect(denied.message).toContain('refused the user "timetap_no_such_role"');
    expect(denied.message).not.toContain('pw-never-shown');

    const empty = await createEmptyDatabase(adminUrl);
    cleanups.push(() => empty.drop());
    await expect(check(empty.url, false)).resolves.toBeUndefined();
    const unmigrated = await problemOf(check(empty.url));
    expect(unmigrated.kind).toBe('missing-schema');
    expect(unmigrated.message).toMatch(/has no timetap-sync schema .*run `timetap-sync migrate` first$/);
  });

  it('a schema behind this version: names the migrations not applied', async () => {
    const database = await createTestDatabase(adminUrl);
    cleanups.push(() => database.close());
    const dir = mkdtempSync(join(tmpdir(), 'timetap-migrations-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    cpSync(defaultMigrationsDir(), dir, { recursive: true });
    mkdirSync(join(dir, '29991231000000_future'));
    writeFileSync(join(dir, '29991231000000_future', 'migration.sql'), 'SELECT 1;');
    const behind = await problemOf(check(database.url, true, dir));
    expect(behind.kind).toBe('missing-schema');
    expect(behind.message).toContain('1 migration not applied: 29991231000000_future');
  });
});

describe('explainDatabaseError', () => {
  it('reads Prisma errors through the driver adapter: one line instead of the invocation excerpt', async () => {
    const port = await freePort();
    const url = `postgresql://postgres@127.0.0.1:${port}/mirror`;
    const database = createDatabase(
      { url, poolSize: 1, connectTimeoutMs: 2_000, statementTimeoutMs: 2_000 },
      silent,
    );
    try {
      for (const query of [
        () => database.prisma.syncRun.findMany(),
        () => database.prisma.$queryRawUnsafe('SELECT 1'),
      ]) {
        const error = await query().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(String(error)).toContain('Invalid');
        const problem = explainDatabaseError(error, url);
        expect(problem?.kind).toBe('unreachable');
        expect(problem?.message).not.toContain('\n');
      }
    } finally {
      await database.close();
    }
    const missing = databaseUrl(adminUrl, 'timetap_no_such_db_9c1');
    const absent = createDatabase(
      { url: missing, poolSize: 1, connectTimeoutMs: 2_000, statementTimeoutMs: 2_000 },
      silent,
    );
    try {
      const error = await absent.prisma.syncRun.count().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(explainDatabaseError(error, missing)?.kind).toBe('missing-database');
    } finally {
      await absent.close();
    }
  });

  it('leaves other errors alone', () => {
    expect(
      explainDatabaseError(new Error('duplicate key value violates unique constraint'), adminUrl),
    ).toBeUndefined();
    expect(explainDatabaseError('a string', adminUrl)).toBeUndefined();
  });
});

describe('createDatabaseIfMissing', () => {
  it('creates the database once, however many race for it', async () => {
    const name = `timetap_test_${randomBytes(6).toString('hex')}`;
    const url = databaseUrl(adminUrl, name);
    cleanups.push(async () => {
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    });
    const results = await Promise.all(Array.from({ length: 5 }, () => createDatabaseIfMissing(url)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await createDatabaseIfMissing(url)).toEqual({ created: false });
    await expect(check(url, false)).resolves.toBeUndefined();
  });

  it('Postgres down: the same one line', async () => {
    const port = await freePort();
    const problem = await problemOf(
      createDatabaseIfMissing(`postgresql://postgres@127.0.0.1:${port}/mirror`),
    );
    expect(problem.kind).toBe('unreachable');
  });
});
