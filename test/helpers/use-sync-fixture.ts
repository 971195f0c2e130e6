/**
 * The setup that most tests of a sync against the simulator repeated, in process or through the
 * command and the worker process: a test database for the file (its `tables` emptied before each
 * test) and a simulator, started once for the file or afresh for each test (`simulatorPer:
 * 'test'`, for tests that change the simulator's data). `ready` receives them whenever the
 * simulator is new, from inside the hook that made it, as `useTestDatabase` does.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { Db } from '../../src/db/database.js';
import { MIRROR_TABLES } from '../../src/db/index.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/index.js';
import type { TestDatabase } from './database.js';
import { useTestDatabase } from './use-database.js';

/** What a sync test works with; `db` is `database.db`, named apart because most tests want only it. */
export interface SyncFixture {
  sim: Simulator;
  database: TestDatabase;
  db: Db;
}

export interface SyncFixtureOptions {
  simulator: SimulatorOptions;
  simulatorPer: 'file' | 'test';
  tables?: readonly string[];
}

/**
 * The tables of the walk over locations, staff and services (the mirror's but clients and
 * appointments, which only some files empty), and the runs that record it.
 */
export const WALK_TABLES: readonly string[] = [
  ...MIRROR_TABLES.filter((table) => table !== 'clients' && table !== 'appointments'),
  'sync_runs',
];

export function useSyncFixture(options: SyncFixtureOptions, ready: (fixture: SyncFixture) => void): void {
  let database: TestDatabase | undefined;
  let sim: Simulator | undefined;
  useTestDatabase(options.tables ?? [], (created) => {
    database = created;
  });
  const start = async () => {
    await sim?.close();
    sim = await startSimulator(options.simulator);
    if (database) ready({ sim, database, db: database.db });
  };
  if (options.simulatorPer === 'file') beforeAll(start);
  else beforeEach(start);
  afterAll(async () => {
    await sim?.close();
  });
}
