/**
 * `timetap-sync demo` as a newcomer runs it: a child process with only DATABASE_URL and REDIS_URL.
 * It must create and use `<configured name>_demo` (never the configured database), sync through
 * the queue, print the report, exit 0, and leave no queue keys behind; and it must refuse a
 * `_demo` database that holds data it did not create.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { hasScript, runCli, runCliOnTerminal, startCli } from '../helpers/cli.js';
import { databaseUrl, serverOf } from '../helpers/database.js';
import { freePort } from '../helpers/free-port.js';

const adminUrl = inject('databaseUrl');
const redisUrl = inject('redisUrl');
const created: string[] = [];

async function admin<T>(fn: (client: pg.Client) => Promise<T>, url = adminUrl): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  await admin(async (client) => {
    for (const name of created) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
});

describe('timetap-sync demo', () => {
  it('syncs the simulator into <name>_demo through the queue and prints the report', async () => {
    const name = `timetap_test_${randomBytes(5).toString('hex')}`;
    created.push(name, `${name}_demo`);
    const started = Date.now();
    const result = await runCli(['demo'], { DATABASE_URL: databaseUrl(adminUrl, name), REDIS_URL: redisUrl });
    const seconds = (Date.now() - started) / 1000;
    expect(result.code, result.stderr).toBe(0);
    expect(seconds).toBeLessThan(30);

    expect(result.stdout).toContain(`demo database: ${name}_demo`);
    expect(result.stdout).toContain('(created;');
    expect(result.stdout).toMatch(/full sync: succeeded \(run \d+\)/);
    expect(result.stdout).toContain('mirror: 8 locations, 32 staff, 24 services');
    expect(result.stdout).toContain('the mirror is fresh');
    expect(result.stdout).toContain('staff who offer nothing here:');
    expect(result.stdout).not.toContain('WARNING');

    // The configured database was not even created; the demo's holds the mirror and its run.
    const exists = await admin((c) => c.query('SELECT datname FROM pg_database WHERE datname = $1', [name]));
    expect(exists.rowCount).toBe(0);
    const demo = await admin(
      async (c) => {
        const counts = await c.query(
          `SELECT (SELECT count(*) FROM locations WHERE deleted_at IS NULL)::int AS locations,
                (SELECT count(*) FROM staff WHERE deleted_at IS NULL)::int AS staff,
                (SELECT count(*) FROM services WHERE deleted_at IS NULL)::int AS services,
                (SELECT count(*) FROM staff_services_view)::int AS offers`,
        );
        const runs = await c.query('SELECT scope, trigger, status, job_id FROM sync_runs');
        const comment = await c.query(
          "SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = current_database()",
        );
        return { counts: counts.rows[0], runs: runs.rows, comment: comment.rows[0]?.comment };
      },
      databaseUrl(adminUrl, `${name}_demo`),
    );
    expect(demo.counts).toMatchObject({ locations: 8, staff: 32, services: 24 });
    expect(demo.counts.offers).toBeGreaterThan(0);
    expect(demo.runs).toEqual([
      { scope: 'full', trigger: 'demo', status: 'succeeded', job_id: expect.any(String) },
    ]);
    expect(demo.comment).toBe('timetap-sync demo');

    // Its queue prefix is gone from Redis.
    const prefix = /on queue (timetap-sync-demo-[0-9a-f]+):/.exec(result.stdout)?.[1];
    expect(prefix).toBeDefined();
    const redis = new Redis(redisUrl);
    try {
      expect(await redis.keys(`${prefix}:*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }

    // A second run reuses its own database and finds nothing to change.
    const again = await runCli(['demo'], { DATABASE_URL: databaseUrl(adminUrl, name), REDIS_URL: redisUrl });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(
      `demo database: ${name}_demo on ${serverOf(adminUrl).hostPort} (already there;`,
    );
    expect(again.stdout).toContain('schema: up to date');
  }, 60_000);

  it('on a terminal, with LOG_LEVEL=info as .env.example sets it: no JSON, and the progress line stays one line', async (ctx) => {
    ctx.skip(!hasScript, 'needs `script` (util-linux) to run the demo on a pseudo-terminal');
    const name = `timetap_test_${randomBytes(5).toString('hex')}`;
    created.push(`${name}_demo`);
    const env = { DATABASE_URL: databaseUrl(adminUrl, name), REDIS_URL: redisUrl, LOG_LEVEL: 'info' };
    const output = await runCliOnTerminal(['demo'], env, 60_000);
    expect(output.code, output.text).toBe(0);
    // The terminal as a person saw it: every line that was ended with a newline.
    const committed = output.lines;
    expect(output.text).toContain('syncing: ');
    expect(output.text).toMatch(/syncing: \d+\/\d+ steps of the run done/);
    expect(committed.join('\n')).toContain('full sync: succeeded');
    for (const line of committed) {
      expect(line, 'a JSON log line on a terminal').not.toMatch(/^\s*\{"level"/);
      expect(line, 'the progress line ran into another line').not.toContain('syncing: ');
    }
  }, 90_000);

  it('--keep-running: a webhook lands, a scheduled sync runs, the other commands reach it; Ctrl-C stops it and removes its keys', async () => {
    const name = `timetap_test_${randomBytes(5).toString('hex')}`;
    created.push(`${name}_demo`);
    // A Redis database of this test's own: the demo's queue prefix is fixed.
    const redisIndex = 1 + Math.floor(Math.random() * 15);
    const demoRedis = new URL(redisUrl);
    demoRedis.pathname = `/${redisIndex}`;
    const env = {
      DATABASE_URL: databaseUrl(adminUrl, name),
      REDIS_URL: demoRedis.toString(),
      LOG_LEVEL: 'warn',
    };
    const demo = startCli(['demo', '--keep-running', '--schedule', '*/5 * * * * *'], env);
    const redis = new Redis(demoRedis.toString());
    try {
      const worker = /worker: (http:\/\/\S+) /.exec(await demo.waitFor(/^worker: http/, 90_000))?.[1];
      expect(await demo.waitFor(/^\d\d:\d\d:\d\d webhook: appointment \d+ \w+/, 30_000)).toMatch(
        /mirrored \d+\.\d s after it arrived$/,
      );
      expect(await demo.waitFor(/^\d\d:\d\d:\d\d scheduled full sync: /, 60_000)).toMatch(
        /: succeeded \(run \d+\)/,
      );
      const metrics = await (await fetch(`${worker}/metrics`)).text();
      expect(metrics).toMatch(
        /timetap_sync_last_success_timestamp_seconds\{account="default",scope="full"\} \d/,
      );
      expect(metrics).toMatch(/timetap_sync_webhook_events_total\{outcome="accepted"\} [1-9]/);

      // A second one on the same Redis refuses, and touches nothing.
      const second = await runCli(['demo', '--keep-running'], env, 60_000);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain('demo: another demo keeps running on this Redis');

      // status from another terminal, with the variables the demo printed.
      const status = await runCli(['status'], {
        ...env,
        DATABASE_URL: databaseUrl(adminUrl, `${name}_demo`),
        QUEUE_PREFIX: 'timetap-sync-demo',
      });
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain('workers consuming the queue: 1');

      expect(await redis.keys('timetap-sync-demo:*')).not.toEqual([]);
      demo.child.kill('SIGINT');
      expect((await demo.exited).code, demo.output()).toBe(0);
      expect(await redis.keys('timetap-sync-demo:*')).toEqual([]);
    } finally {
      if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
      redis.disconnect();
    }
  }, 240_000);

  it('refuses --schedule without --keep-running, or one that is no cron pattern: exit 2, before anything', async () => {
    const env = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/nowhere', REDIS_URL: redisUrl };
    const alone = await runCli(['demo', '--schedule', '* * * * *'], env);
    expect([alone.code, alone.stderr.trim()]).toEqual([2, 'demo: --schedule needs --keep-running']);
    const wrong = await runCli(['demo', '--keep-running', '--schedule', 'every minute'], env);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.trim()).toMatch(/^demo: --schedule must be a cron pattern/);
  });

  it('Postgres down: one line naming the server and the demo database, never the password, exit 1', async () => {
    const port = await freePort();
    const started = Date.now();
    const result = await runCli(['demo'], {
      DATABASE_URL: `postgresql://postgres:hunter2-demo@127.0.0.1:${port}/shop`,
      REDIS_URL: redisUrl,
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      `demo: cannot reach Postgres at 127.0.0.1:${port} for the database "shop_demo" (connection refused): ` +
        'start Postgres, or point DATABASE_URL at the right server',
    );
    expect(result.stdout).toBe('');
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it('refuses a _demo database that holds data it did not create: exit 2, nothing written', async () => {
    const name = `timetap_test_${randomBytes(5).toString('hex')}`;
    const demoName = `${name}_demo`;
    created.push(demoName);
    await admin((c) => c.query(`CREATE DATABASE "${demoName}"`));
    const demoUrl = databaseUrl(adminUrl, demoName);
    await admin((c) => c.query('CREATE TABLE customers (id int); INSERT INTO customers VALUES (1)'), demoUrl);

    const result = await runCli(['demo'], { DATABASE_URL: databaseUrl(adminUrl, name), REDIS_URL: redisUrl });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`demo: refused: the database ${demoName} exists, holds 1 tables`);
    expect(result.stdout).toBe('');

    const after = await admin(async (c) => {
      const tables = await c.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')",
      );
      const comment = await c.query(
        "SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = current_database()",
      );
      return { tables: tables.rows.map((r) => r.table_name), comment: comment.rows[0]?.comment };
    }, demoUrl);
    expect(after).toEqual({ tables: ['customers'], comment: null });
  });
});
