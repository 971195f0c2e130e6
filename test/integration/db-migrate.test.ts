import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { defaultMigrationsDir, MigrationError, migrate, readMigrations } from '../../src/db/migrate.js';
import { createEmptyDatabase } from '../helpers/database.js';

const logger = pino({ level: 'silent' });
let database: Awaited<ReturnType<typeof createEmptyDatabase>>;
let dirs: string[] = [];

beforeEach(async () => {
  database = await createEmptyDatabase(inject('databaseUrl'));
});
afterEach(async () => {
  await database.drop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

async function query<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** A copy of the real migrations that a test may extend or edit. */
function migrationsCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'timetap-migrations-'));
  dirs.push(dir);
  cpSync(defaultMigrationsDir(), dir, { recursive: true });
  return dir;
}

describe('migrate', () => {
  it('applies every migration once; a second run applies nothing', async () => {
    const all = readMigrations(defaultMigrationsDir());
    expect(all.length).toBeGreaterThan(0);
    const first = await migrate({ databaseUrl: database.url, logger });
    expect(first).toEqual({ applied: all.map((m) => m.name), alreadyApplied: 0 });
    const second = await migrate({ databaseUrl: database.url, logger });
    expect(second).toEqual({ applied: [], alreadyApplied: all.length });
    const tables = await query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining([
        'locations',
        'staff',
        'services',
        'location_staff',
        'sync_runs',
        '_prisma_migrations',
      ]),
    );
  });

  it('records rows as Prisma Migrate does, with the sha256 of each file', async () => {
    await migrate({ databaseUrl: database.url, logger });
    const rows = await query<{
      id: string;
      checksum: string;
      migration_name: string;
      finished_at: Date | null;
      applied_steps_count: number;
      logs: string | null;
      rolled_back_at: Date | null;
    }>('SELECT * FROM _prisma_migrations ORDER BY migration_name');
    const dir = defaultMigrationsDir();
    expect(rows.map((r) => r.migration_name)).toEqual(readMigrations(dir).map((m) => m.name));
    for (const row of rows) {
      const bytes = readFileSync(join(dir, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
      expect(row.logs).toBeNull();
      expect(row.rolled_back_at).toBeNull();
    }
  });

  it('creates _prisma_migrations with Prisma Migrate’s exact columns', async () => {
    await migrate({ databaseUrl: database.url, logger });
    const columns = await query<{
      column_name: string;
      data_type: string;
      is_nullable: string;
      len: number | null;
    }>(
      `SELECT column_name, data_type, is_nullable, character_maximum_length AS len
       FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      { column_name: 'id', data_type: 'character varying', is_nullable: 'NO', len: 36 },
      { column_name: 'checksum', data_type: 'character varying', is_nullable: 'NO', len: 64 },
      { column_name: 'finished_at', data_type: 'timestamp with time zone', is_nullable: 'YES', len: null },
      { column_name: 'migration_name', data_type: 'character varying', is_nullable: 'NO', len: 255 },
      { column_name: 'logs', data_type: 'text', is_nullable: 'YES', len: null },
      { column_name: 'rolled_back_at', data_type: 'timestamp with time zone', is_nullable: 'YES', len: null },
      { column_name: 'started_at', data_type: 'timestamp with time zone', is_nullable: 'NO', len: null },
      { column_name: 'applied_steps_count', data_type: 'integer', is_nullable: 'NO', len: null },
    ]);
  });

  it('applies exactly once when several calls race', async () => {
    const results = await Promise.all(
      Array.from({ length: 4 }, () => migrate({ databaseUrl: database.url, logger })),
    );
    const applied = results.flatMap((r) => r.applied);
    expect(applied).toEqual(readMigrations(defaultMigrationsDir()).map((m) => m.name));
    const rows = await query<{ n: number }>('SELECT count(*)::int AS n FROM _prisma_migrations');
    expect(rows[0]?.n).toBe(applied.length);
  });

  it('applies exactly once when two processes race', async () => {
    const code = `const { migrate } = await import(${JSON.stringify(new URL('../../src/db/migrate.ts', import.meta.url).href)});
      const { pino } = await import('pino');
      const result = await migrate({ databaseUrl: process.env.MIGRATE_URL, logger: pino({ level: 'silent' }) });
      process.stdout.write(JSON.stringify(result));`;
    const run = () =>
      new Promise<{ applied: string[] }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
          env: { ...process.env, MIGRATE_URL: database.url },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('error', reject);
        child.on('exit', (status) =>
          status === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${status}: ${err}`)),
        );
      });
    const [a, b] = await Promise.all([run(), run()]);
    const names = readMigrations(defaultMigrationsDir()).map((m) => m.name);
    expect([...(a?.applied ?? []), ...(b?.applied ?? [])]).toEqual(names);
    expect(Math.min(a?.applied.length ?? 0, b?.applied.length ?? 0)).toBe(0);
  });

  it('records a failed migration like Prisma, rolls its changes back, and refuses to continue', async () => {
    const dir = migrationsCopy();
    mkdirSync(join(dir, '99990101000000_broken'));
    writeFileSync(
      join(dir, '99990101000000_broken', 'migration.sql'),
      'CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;\n',
    );
    await expect(migrate({ databaseUrl: database.url, migrationsDir: dir, logger })).rejects.toThrow(
      /Migration 99990101000000_broken failed: .*no_such_table/,
    );
    const rows = await query<{ migration_name: string; finished_at: Date | null; logs: string | null }>(
      "SELECT migration_name, finished_at, logs FROM _prisma_migrations WHERE migration_name LIKE '%broken'",
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.finished_at).toBeNull();
    expect(rows[0]?.logs).toContain('no_such_table');
    const half = await query("SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'");
    expect(half).toHaveLength(0);
    await expect(migrate({ databaseUrl: database.url, migrationsDir: dir, logger })).rejects.toThrow(
      /failed earlier/,
    );
  });

  it('refuses a migration edited after it was applied', async () => {
    const dir = migrationsCopy();
    await migrate({ databaseUrl: database.url, migrationsDir: dir, logger });
    const first = readMigrations(dir)[0];
    if (!first) throw new Error('no migrations');
    writeFileSync(join(dir, first.name, 'migration.sql'), `${first.sql}\n-- edited\n`);
    const attempt = migrate({ databaseUrl: database.url, migrationsDir: dir, logger });
    await expect(attempt).rejects.toBeInstanceOf(MigrationError);
    await expect(migrate({ databaseUrl: database.url, migrationsDir: dir, logger })).rejects.toThrow(
      /modified after it was applied/,
    );
  });

  it('applies a migration added later, and only that one', async () => {
    const dir = migrationsCopy();
    await migrate({ databaseUrl: database.url, migrationsDir: dir, logger });
    mkdirSync(join(dir, '99990101000000_more'));
    writeFileSync(join(dir, '99990101000000_more', 'migration.sql'), 'CREATE TABLE more_stuff (id int);\n');
    const result = await migrate({ databaseUrl: database.url, migrationsDir: dir, logger });
    expect(result.applied).toEqual(['99990101000000_more']);
    expect(result.alreadyApplied).toBe(readMigrations(dir).length - 1);
  });
});
