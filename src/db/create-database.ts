/**
 * Creating the configured database itself (`migrate --create-database`, and the demo's own
 * database). CREATE DATABASE cannot run inside the database it creates, so it runs on the
 * server's maintenance database: `postgres`, or `template1` where `postgres` was dropped.
 */
import pg from 'pg';
import { databaseTarget, explainDatabaseError } from './database-problem.js';

/** duplicate_database; and the unique index of pg_database, which two racing creators can hit. */
const ALREADY_THERE = new Set(['42P04', '23505']);

/**
 * Creates the database that `url` names unless it exists. Safe to run twice, and from two
 * processes at once: the one that loses the race finds the database there. Returns whether this
 * call created it. Connection problems come back as one-line DatabaseProblems.
 */
export async function createDatabaseIfMissing(
  url: string,
  options: { connectTimeoutMs?: number } = {},
): Promise<{ created: boolean }> {
  const { database } = databaseTarget(url);
  try {
    return await withMaintenanceClient(url, options, async (admin) => {
      const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if ((found.rowCount ?? 0) > 0) return { created: false };
      try {
        await admin.query(`CREATE DATABASE ${quoteIdentifier(database)}`);
        return { created: true };
      } catch (error) {
        if (ALREADY_THERE.has((error as { code?: string }).code ?? '')) return { created: false };
        throw error;
      }
    });
  } catch (error) {
    throw explainDatabaseError(error, url, 'migrate') ?? error;
  }
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Runs `fn` on a connection to the server's maintenance database (`postgres`, or `template1`
 * where `postgres` was dropped): the configured database itself need not exist.
 */
export async function withMaintenanceClient<T>(
  url: string,
  options: { connectTimeoutMs?: number; applicationName?: string },
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  for (const database of ['postgres', 'template1']) {
    const target = new URL(url);
    target.pathname = `/${database}`;
    const client = new pg.Client({
      connectionString: target.toString(),
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      application_name: options.applicationName ?? 'timetap-sync',
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      if ((error as { code?: string }).code === '3D000') continue; // that database does not exist
      throw error;
    }
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  // Not the configured database's absence: explaining it as such would mislead.
  const { host, port } = databaseTarget(url);
  throw new Error(
    `Postgres at ${host}:${port} has neither a postgres nor a template1 database to connect to`,
  );
}
