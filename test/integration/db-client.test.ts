import { Writable } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../../src/db/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { useTestDatabase } from '../helpers/use-database.js';

let database: TestDatabase;

useTestDatabase([], (created) => (database = created));

function capturingLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, destination), lines };
}

describe('createDatabase', () => {
  it('survives its connections being killed (a Postgres restart) and reconnects', async () => {
    const { logger, lines } = capturingLogger();
    const { prisma, close } = createDatabase(
      { url: database.url, poolSize: 3, connectTimeoutMs: 5_000, statementTimeoutMs: 10_000 },
      logger,
    );
    try {
      await Promise.all([prisma.$queryRaw`SELECT 1`, prisma.$queryRaw`SELECT 2`]);
      const admin = new pg.Client({ connectionString: inject('databaseUrl') });
      await admin.connect();
      const killed = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'timetap-sync'",
        [new URL(database.url).pathname.slice(1)],
      );
      await admin.end();
      expect(killed.rowCount).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(lines.join('')).toContain('idle database connection failed');
      await expect(prisma.location.count()).resolves.toBe(0);
    } finally {
      await close();
    }
  });

  it('cancels a statement past the statement timeout', async () => {
    const { logger } = capturingLogger();
    const { prisma, close } = createDatabase(
      { url: database.url, poolSize: 1, connectTimeoutMs: 5_000, statementTimeoutMs: 300 },
      logger,
    );
    try {
      await expect(prisma.$queryRaw`SELECT pg_sleep(3)`).rejects.toThrow(
        /statement timeout|canceling statement/,
      );
      await expect(prisma.$queryRaw`SELECT 1 AS one`).resolves.toEqual([{ one: 1 }]);
    } finally {
      await close();
      await close();
    }
  });
});
