/**
 * The demo's own database. The demo must never write into a database that holds real data, so it
 * works in the configured database's name plus `_demo` (`timetap` -> `timetap_demo`), which it
 * creates and marks with a comment. A `_demo` database without the mark is used only while it has
 * no tables (it is then marked); otherwise the demo refuses.
 */
import pg from 'pg';
import { quoteIdentifier, withMaintenanceClient } from '../db/create-database.js';

/** The comment that marks a database as the demo's. */
const DEMO_MARKER = 'timetap-sync demo';
export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/timetap';

export class DemoDatabaseRefused extends Error {
  override readonly name = 'DemoDatabaseRefused';
}

export interface DemoDatabase {
  url: string;
  name: string;
  created: boolean;
}

/** `postgresql://h/timetap?x=1` -> `postgresql://h/timetap_demo?x=1` */
export function demoDatabaseUrl(configuredUrl: string): { url: string; name: string } {
  const url = new URL(configuredUrl);
  const configured = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres';
  const name = `${configured}_demo`;
  if (Buffer.byteLength(name) > 63)
    throw new DemoDatabaseRefused(`the demo database name ${name} is too long`);
  url.pathname = `/${encodeURIComponent(name)}`;
  return { url: url.toString(), name };
}

export async function ensureDemoDatabase(configuredUrl: string): Promise<DemoDatabase> {
  const { url, name } = demoDatabaseUrl(configuredUrl);
  const quoted = quoteIdentifier(name);
  return withMaintenanceClient(url, { applicationName: 'timetap-sync demo' }, async (admin) => {
    const found = await admin.query<{ comment: string | null }>(
      "SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1",
      [name],
    );
    if (found.rowCount === 0) {
      await admin.query(`CREATE DATABASE ${quoted}`);
      await admin.query(`COMMENT ON DATABASE ${quoted} IS '${DEMO_MARKER}'`);
      return { url, name, created: true };
    }
    if (found.rows[0]?.comment === DEMO_MARKER) return { url, name, created: false };
    const tables = await countTables(url);
    if (tables > 0) {
      throw new DemoDatabaseRefused(
        `the database ${name} exists, holds ${tables} tables and was not created by the demo: ` +
          'the demo will not touch it. Drop it, or point DATABASE_URL at another name ' +
          `(the demo uses the configured database's name plus "_demo").`,
      );
    }
    await admin.query(`COMMENT ON DATABASE ${quoted} IS '${DEMO_MARKER}'`);
    return { url, name, created: false };
  });
}

async function countTables(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const result = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`,
    );
    return Number(result.rows[0]?.n ?? 0);
  } finally {
    await client.end().catch(() => undefined);
  }
}
