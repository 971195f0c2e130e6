/**
 * For tests that read the migrated schema itself (its catalog, its views) rather than go through
 * Prisma: a fresh migrated database for the file, and a plain pg client on it, which returns rows
 * as Postgres sends them (as arrays on request) and runs several statements in one query.
 * Registers its own beforeAll and afterAll.
 */
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { createTestDatabase, type TestDatabase } from './database.js';

export interface MigratedSchema {
  readonly database: TestDatabase;
  readonly client: pg.Client;
}

/** Call at the top of a test file; the properties are there from its beforeAll on. */
export function useMigratedSchema(): MigratedSchema {
  let database: TestDatabase | undefined;
  let client: pg.Client | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await database?.close();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useMigratedSchema: used before its beforeAll ran');
    return value;
  };
  return {
    get database() {
      return ready(database);
    },
    get client() {
      return ready(client);
    },
  };
}
