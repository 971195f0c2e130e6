/**
 * The usual database of a test file: created (migrated, from the template) before its tests and
 * dropped after them, with `tables` emptied before each test. `ready` receives it from inside the
 * same hook that created it, so that it runs first whatever order hooks run in.
 */
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';
import { createTestDatabase, type TestDatabase } from './database.js';

export function useTestDatabase(tables: readonly string[], ready: (database: TestDatabase) => void): void {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    ready(database);
  });
  afterAll(async () => {
    await database?.close();
  });
  if (tables.length > 0) {
    beforeEach(async () => {
      await database?.db.$executeRawUnsafe(`TRUNCATE ${tables.join(', ')}`);
    });
  }
}
