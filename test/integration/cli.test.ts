/**
 * The command line as a user meets it: exit codes, the one-message configuration errors, `check`
 * and `sync` against the simulator, Postgres down or without the database (one line, exit 1, at
 * once, for every command that needs it), `--version`, and no secret in anything printed.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { runCli } from '../helpers/cli.js';
import { createEmptyDatabase, databaseUrl, serverOf, type TestDatabase } from '../helpers/database.js';
import { freePort } from '../helpers/free-port.js';
import { simulatorEnv } from '../helpers/sync.js';
import { useSyncFixture } from '../helpers/use-sync-fixture.js';

let sim: Simulator;
let database: TestDatabase;

useSyncFixture(
  { simulator: { seed: 3, locations: 4 }, simulatorPer: 'file' },
  (fixture) => ({ sim, database } = fixture),
);

const secretsOf = () => [sim.credentials.apiKey, sim.credentials.privateKey];

describe('configuration errors', () => {
  it('names every bad variable in one message, exit 2, no stack, no value echoed', async () => {
    const result = await runCli(['sync'], {
      TIMETAP_API_KEY: 'key-that-is-set',
      TIMETAP_MAX_RPS: 'fast',
      DATABASE_URL: 'mysql://admin:hunter2-very-secret@db/x',
      SYNC_ALLOW_MASS_DELETE: 'maybe',
    });
    expect(result.code).toBe(2);
    for (const name of ['TIMETAP_PRIVATE_KEY', 'TIMETAP_MAX_RPS', 'DATABASE_URL', 'SYNC_ALLOW_MASS_DELETE']) {
      expect(result.stderr).toContain(name);
    }
    expect(result.stderr).not.toContain('TIMETAP_API_KEY ');
    expect(result.stderr).not.toContain('hunter2');
    expect(result.stderr).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace
  });

  it('answers bad usage with exit 2', async () => {
    expect((await runCli(['no-such-command'])).code).toBe(2);
    expect((await runCli(['sync', '--location', 'abc'])).code).toBe(2);
  });

  it('reads numbers as the variables are read: decimal digits only (0x10, 1e3 and " 7" are refused)', async () => {
    const env = { ...simulatorEnv(sim), DATABASE_URL: database.url };
    const runs = await database.db.syncRun.count();
    for (const value of ['0x10', '1e3', ' 7', '7 ', '+7', '7.0']) {
      const result = await runCli(['sync', '--location', value], env);
      expect(result.code, `${JSON.stringify(value)}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain("option '--location <id>' argument");
      expect(result.stderr).toContain('must be a positive integer, in decimal digits');
    }
    expect(await database.db.syncRun.count()).toBe(runs);
  });

  it('names a bad LOG_FORMAT, exit 2', async () => {
    const result = await runCli(['report'], { DATABASE_URL: database.url, LOG_FORMAT: 'fancy' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('LOG_FORMAT must be one of auto, json, pretty');
  });
});

describe('--version', () => {
  it('prints the version of package.json, exit 0', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V']) {
      const result = await runCli([flag]);
      expect(result.code).toBe(0);
      expect(result.stdout.trim()).toBe(version);
    }
  });
});

/** Every command that needs the database, with what else it needs to get that far. */
function databaseCommands(url: string): Array<{ args: string[]; env: NodeJS.ProcessEnv }> {
  const timetap = simulatorEnv(sim);
  const redis = { REDIS_URL: inject('redisUrl'), QUEUE_PREFIX: 'timetap-sync-cli-test' };
  return [
    { args: ['migrate'], env: { DATABASE_URL: url } },
    { args: ['sync'], env: { ...timetap, DATABASE_URL: url } },
    { args: ['sync', '--location', '1'], env: { ...timetap, DATABASE_URL: url } },
    { args: ['report'], env: { DATABASE_URL: url } },
    { args: ['status'], env: { DATABASE_URL: url, ...redis } },
    { args: ['worker'], env: { ...timetap, DATABASE_URL: url, ...redis, HTTP_PORT: '0' } },
  ];
}

/** What every such failure must look like: one line, exit 1, fast, no password, no Prisma prose. */
async function expectOneLineFailure(
  url: string,
  expected: (args: string[]) => Array<string | RegExp>,
): Promise<void> {
  // One at a time, so that each one's time is its own.
  const results: Array<{ args: string[]; result: Awaited<ReturnType<typeof runCli>>; seconds: number }> = [];
  for (const { args, env } of databaseCommands(url)) {
    const started = Date.now();
    const result = await runCli(args, { ...env, LOG_LEVEL: 'info' }, 30_000);
    results.push({ args, result, seconds: (Date.now() - started) / 1000 });
  }
  for (const { args, result, seconds } of results) {
    const what = `${args.join(' ')}:\n${result.stderr}`;
    expect(result.code, what).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines, what).toHaveLength(1);
    expect(lines[0], what).toMatch(/^error: /);
    for (const part of expected(args)) expect(lines[0], what).toMatch(part);
    expect(result.stderr, what).not.toMatch(/Prisma|invocation|\bat .*\.ts:\d+|hunter2/);
    expect(result.stdout, what).toBe('');
    // About a second here; generous for a loaded machine (starting through tsx is most of it).
    expect(seconds, what).toBeLessThan(8);
  }
}

describe('Postgres down, or without the database', () => {
  it('Postgres down: every command says so in one line naming the server and the database, exit 1', async () => {
    const port = await freePort();
    const url = `postgresql://postgres:hunter2-secret@127.0.0.1:${port}/timetap_cli_down`;
    await expectOneLineFailure(url, () => [
      `cannot reach Postgres at 127.0.0.1:${port} for the database "timetap_cli_down"`,
      'start Postgres',
    ]);
  }, 60_000);

  it('a database that does not exist: every command says how to create it, exit 1', async () => {
    const name = 'timetap_cli_no_such_database';
    const withPassword = new URL(databaseUrl(inject('databaseUrl'), name));
    withPassword.password = 'hunter2-secret';
    const url = withPassword.toString();
    const { hostPort, createdbOptions } = serverOf(url);
    await expectOneLineFailure(url, (args) => [
      `the database "${name}" on ${hostPort} does not exist`,
      `createdb ${createdbOptions} ${name}`,
      args[0] === 'migrate'
        ? /or run `timetap-sync migrate --create-database`$/
        : /migrate --create-database/,
    ]);
  }, 60_000);

  it('a database without the schema: says to run migrate, exit 2, before touching TimeTap', async () => {
    const empty = await createEmptyDatabase(inject('databaseUrl'));
    try {
      const before = sim.calls.length;
      const result = await runCli(['sync'], { ...simulatorEnv(sim), DATABASE_URL: empty.url });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr.trim()).toMatch(
        /^error: the database ".*" on .* has no timetap-sync schema.*run `timetap-sync migrate` first$/,
      );
      expect(sim.calls.length).toBe(before);
    } finally {
      await empty.drop();
    }
  });

  it('migrate --create-database creates the database, then migrates; twice, and two at once, succeed', async () => {
    const admin = inject('databaseUrl');
    const name = `timetap_cli_created_${process.pid}`;
    const url = databaseUrl(admin, name);
    const drop = async () => {
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    };
    await drop();
    try {
      const [first, second] = await Promise.all([
        runCli(['migrate', '--create-database'], { DATABASE_URL: url }),
        runCli(['migrate', '--create-database'], { DATABASE_URL: url }),
      ]);
      expect([first.code, second.code], first.stderr + second.stderr).toEqual([0, 0]);
      const outputs = [first.stdout, second.stdout];
      expect(
        outputs.filter((out) => out.includes(`created the database "${name}" on ${serverOf(url).hostPort}`)),
      ).toHaveLength(1);
      expect(outputs.filter((out) => out.includes('ok: applied'))).toHaveLength(1);
      const again = await runCli(['migrate', '--create-database'], { DATABASE_URL: url });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/^ok: schema up to date \(\d+ migrations\)\n$/);
      const report = await runCli(['report'], { DATABASE_URL: url });
      expect(report.code, report.stderr).toBe(0);
    } finally {
      await drop();
    }
  });
});

describe('check', () => {
  it('logs in and counts the locations', async () => {
    const result = await runCli(['check'], simulatorEnv(sim));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`ok: 4 locations (base URL ${sim.url})`);
  });

  it('says clearly that the keys were refused, exit 1, without the keys', async () => {
    const env = simulatorEnv(sim, { TIMETAP_PRIVATE_KEY: 'wrong-private-key-0123456789' });
    const result = await runCli(['check'], env);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain('TimeTap rejected the API key/private key');
    const everything = result.stdout + result.stderr;
    for (const secret of [...secretsOf(), 'wrong-private-key-0123456789'])
      expect(everything).not.toContain(secret);
  });
});

describe('sync', () => {
  it('prints a summary, exit 0, and exit 3 when the run is partial', async () => {
    const env = { ...simulatorEnv(sim, { TIMETAP_RETRY_BASE_MS: '10' }), DATABASE_URL: database.url };
    const ok = await runCli(['sync', '--json'], env);
    expect(ok.code).toBe(0);
    // Dozens of requests wait for the request budget at once; that must not look like a leak.
    expect(ok.stderr).not.toContain('MaxListenersExceededWarning');
    const summary = JSON.parse(ok.stdout) as { status: string; stats: { locations: { inserted: number } } };
    expect(summary.status).toBe('succeeded');
    expect(summary.stats.locations.inserted).toBe(4);

    const [failing] = [...sim.data.locations.keys()] as [number];
    const remove = sim.inject({
      path: '/staff',
      query: { locationId: String(failing) },
      fault: { type: 'status', status: 400 },
    });
    const partial = await runCli(['sync'], env);
    remove();
    expect(partial.code).toBe(3);
    expect(partial.stdout).toContain('full sync partial');
    expect(partial.stdout).toContain(`location ${failing}`);
    const everything = ok.stdout + ok.stderr + partial.stdout + partial.stderr;
    for (const secret of secretsOf()) expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/st:api:api:[0-9a-f]{32}/);
  });
});

describe('sync with a list that never ends', () => {
  it('gives the list up at TIMETAP_MAX_PAGES: partial (exit 3), saying which list and why', async () => {
    const env = simulatorEnv(sim, { TIMETAP_MAX_PAGES: '3' });
    const [endless] = [...sim.data.locations.keys()] as [number];
    const before = sim.calls.length;
    const remove = sim.inject({
      path: '/staff',
      query: { locationId: String(endless) },
      fault: { type: 'endless', records: 25 },
    });
    const result = await runCli(['sync'], { ...env, DATABASE_URL: database.url });
    remove();
    expect(result.code, result.stderr).toBe(3);
    expect(result.stdout).toContain('full sync partial');
    expect(result.stdout).toContain(
      `GET /staff?locationId=${endless}: still full pages after 3 pages (TIMETAP_MAX_PAGES); ` +
        'the list was not read to its end',
    );
    const staffCalls = sim.calls
      .slice(before)
      .filter((c) => c.path === '/staff' && c.query.locationId === String(endless));
    expect(staffCalls).toHaveLength(3);
  });
});

describe('sync with TimeTap unreachable', () => {
  it('names TimeTap and its host, never Postgres: a closed port, an unknown host', async () => {
    const port = await freePort();
    for (const [baseUrl, host, reason] of [
      [`http://127.0.0.1:${port}/live`, `127.0.0.1:${port}`, 'connection refused'],
      ['https://no-such-host.invalid/live', 'no-such-host.invalid', 'host not found'],
    ] as const) {
      const env = simulatorEnv(sim, { TIMETAP_BASE_URL: baseUrl, TIMETAP_RETRIES: '0' });
      const result = await runCli(['sync'], { ...env, DATABASE_URL: database.url });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([
        `error: cannot reach TimeTap at ${host} (${reason}): check TIMETAP_BASE_URL and that this machine can reach it`,
      ]);
      expect(result.stderr).not.toContain('Postgres');
    }
    // The run says why it failed, in the same words of its own.
    const run = await database.db.syncRun.findFirstOrThrow({ orderBy: { id: 'desc' } });
    expect(run.status).toBe('failed');
    expect(run.error).toContain('Request to TimeTap /sessionToken failed');
  });
});

describe('sync --location', () => {
  it('for an id TimeTap does not know: a clear error, exit 1, and no run written', async () => {
    const env = { ...simulatorEnv(sim), DATABASE_URL: database.url };
    const before = await database.db.syncRun.count();
    const result = await runCli(['sync', '--location', '987654'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'TimeTap has no location 987654 (GET /locations/987654 answered 404); nothing was written',
    );
    expect(result.stdout).not.toContain('succeeded');
    expect(await database.db.syncRun.count()).toBe(before);
  });
});
