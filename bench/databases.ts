/**
 * Throwaway databases for the benchmark: one migrated template, then a clone per scenario, so
 * that every sync starts from the same empty mirror and the server's statistics of one scenario
 * never mix with another's. Everything is dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { migrate } from '../src/db/migrate.js';

export interface BenchDatabases {
  /** A fresh, migrated, empty database; returns its URL. */
  create(label: string): Promise<string>;
  dropAll(): Promise<void>;
}

export function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function createBenchDatabases(adminUrl: string): Promise<BenchDatabases> {
  const run = randomBytes(3).toString('hex');
  const template = `timetap_bench_${run}_template`;
  const names: string[] = [template];
  await admin(adminUrl, (c) => c.query(`CREATE DATABASE "${template}"`));
  await migrate({ databaseUrl: databaseUrl(adminUrl, template), logger: pino({ level: 'silent' }) });
  let count = 0;
  return {
    async create(label) {
      count += 1;
      const name = `timetap_bench_${run}_${count}_${label.replace(/\W/g, '_')}`.slice(0, 63);
      await admin(adminUrl, (c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
      names.push(name);
      return databaseUrl(adminUrl, name);
    },
    async dropAll() {
      await admin(adminUrl, async (c) => {
        for (const name of names.reverse()) await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      });
    },
  };
}

async function admin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
