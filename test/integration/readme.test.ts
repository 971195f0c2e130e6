/**
 * Keeps the README true and readable. Every command of its shell blocks must be run by a test:
 * the by-hand tour (the simulator's `export` lines, migrate --create-database, sync, report, psql,
 * the clean-up lines) is run here, against the test servers; each other command names the test
 * that runs it, and that test must still hold the command. A command added to the README without
 * either fails here. Every line of the README and of docs/ fits in a terminal (100 characters).
 */
import { execFile, execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { databaseUrl } from '../helpers/database.js';

const run = promisify(execFile);
const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const README = read('README.md');
/** Pages others keep, with their own line lengths. */

/** The README's shell commands: comments dropped, continued lines joined. */
function readmeCommands(): string[] {
  return [...README.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((block) =>
    (block[1] ?? '')
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .map((line) => line.replace(/\s{2,}#.*$/, '').trim())
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
}

/** Commands that another test runs, and what that test must hold to be running it. */
const RUN_ELSEWHERE: Array<{ command: RegExp; file: string; holds: string }> = [
  { command: /^npm ci$/, file: '.ci/run', holds: 'npm ci --no-audit' },
  { command: /^npm test$/, file: '.ci/run', holds: 'npm test' },
  { command: /^npm run demo$/, file: 'test/integration/demo.test.ts', holds: "runCli(['demo']" },
  {
    command: /^npm run demo -- --keep-running$/,
    file: 'test/integration/demo.test.ts',
    holds: "startCli(['demo', '--keep-running'",
  },
  { command: /^npx timetap-sync status$/, file: 'test/integration/demo.test.ts', holds: "runCli(['status']" },
  {
    command: /^npx timetap-sync resync --wait$/,
    file: 'test/integration/redis-down.test.ts',
    holds: "runCli(['resync', '--wait']",
  },
  {
    command: /^npx timetap-sync backfill --from .+ --wait$/,
    file: 'test/integration/redis-down.test.ts',
    holds: "['backfill', '--from', '2025-01-06', '--to', '2025-02-02', '--wait']",
  },
  { command: /^npm start$/, file: 'test/integration/signals.test.ts', holds: "startCli(['worker']" },
  {
    command: /^TEST_DATABASE_URL=\S+ npm test$/,
    file: 'test/helpers/global-setup.ts',
    holds: 'process.env.TEST_DATABASE_URL',
  },
];

/** Commands the tour below runs; each is marked when it has run. */
const RUN_HERE: Record<string, RegExp> = {
  simulator: /^npx timetap-sync simulator --port \d+$/,
  exportDatabase: /^export DATABASE_URL=postgresql:\/\/\S+$/,
  exportQueue: /^export QUEUE_PREFIX=timetap-sync-demo REDIS_URL=redis:\/\/\S+$/,
  migrate: /^npx timetap-sync migrate --create-database$/,
  sync: /^npx timetap-sync sync$/,
  report: /^npx timetap-sync report$/,
  psql: /^psql "\$DATABASE_URL" -c '.*'$/,
  dropdb: /^dropdb -h \S+ -U \S+ \S+$/,
  redisCli: /^redis-cli --scan --pattern '\S+' \| xargs -r redis-cli del$/,
};
const ran = new Set<string>();
const commandOf = (key: string) => {
  const command = readmeCommands().find((c) => RUN_HERE[key]?.test(c));
  if (command === undefined) throw new Error(`the README has no command for ${key}`);
  ran.add(key);
  return command;
};

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

describe('README.md', () => {
  it('has only commands that a test runs', () => {
    const commands = readmeCommands();
    expect(commands.length).toBeGreaterThan(10);
    for (const command of commands) {
      const elsewhere = RUN_ELSEWHERE.filter((entry) => entry.command.test(command));
      const here = Object.values(RUN_HERE).filter((pattern) => pattern.test(command));
      expect(elsewhere.length + here.length, `no test runs: ${command}`).toBe(1);
      for (const { file, holds } of elsewhere) expect(read(file), `${file} runs ${command}`).toContain(holds);
    }
    // The backfill's --from, as the shell computes it, is a year ago.
    const from = /--from "\$\((.+)\)"/.exec(commands.find((c) => c.includes('backfill')) ?? '')?.[1] ?? '';
    const yearAgo = new Date();
    yearAgo.setUTCFullYear(yearAgo.getUTCFullYear() - 1);
    expect(execSync(from, { encoding: 'utf8' }).trim()).toBe(yearAgo.toISOString().slice(0, 10));
    // `npm run demo` and `npm start` are the commands the tests run.
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.demo).toBe('node dist/main.js demo');
    expect(scripts.start).toMatch(/ dist\/main\.js worker$/);
  });

  it('the by-hand tour runs as written: simulator, export lines, migrate, sync, report, psql, clean-up', async () => {
    // The simulator on a free port rather than the README's, which may be taken.
    const simulator = startCli(
      commandOf('simulator')
        .replace(/^npx timetap-sync /, '')
        .replace(/--port \d+/, '--port 0')
        .split(' '),
      {},
    );
    cleanups.push(async () => {
      simulator.child.kill('SIGTERM');
      await simulator.exited;
    });
    await simulator.waitFor(/^export TIMETAP_PRIVATE_KEY=/, 30_000);
    // The lines it printed, pasted into a shell, reach a command started after them.
    const exports = simulator
      .output()
      .split('\n')
      .filter((line) => line.startsWith('export '));
    expect(exports).toHaveLength(3);
    const { stdout: shellEnv } = await run('bash', ['-c', `${exports.join('\n')}\nenv`], {
      env: { PATH: process.env.PATH },
    });
    const env: NodeJS.ProcessEnv = {};
    for (const name of ['TIMETAP_BASE_URL', 'TIMETAP_API_KEY', 'TIMETAP_PRIVATE_KEY']) {
      env[name] = new RegExp(`^${name}=(.+)$`, 'm').exec(shellEnv)?.[1];
      expect(env[name], name).toBeDefined();
    }

    // DATABASE_URL as the README exports it, on the test server, under a name of this test's own.
    const readmeUrl = new URL(commandOf('exportDatabase').replace('export DATABASE_URL=', ''));
    const name = `timetap_test_${randomBytes(5).toString('hex')}`;
    env.DATABASE_URL = databaseUrl(inject('databaseUrl'), name);
    expect(readmeUrl.pathname.length).toBeGreaterThan(1);
    for (const key of ['migrate', 'sync', 'report']) {
      const args = commandOf(key)
        .replace(/^npx timetap-sync /, '')
        .split(' ');
      const result = await runCli(args, env, 60_000);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      if (key === 'migrate') expect(result.stdout).toContain(`created the database "${name}"`);
      if (key === 'sync') expect(result.stdout).toMatch(/^full sync succeeded \(run 1\)/);
    }
    const psql = await run('bash', ['-c', commandOf('psql')], {
      env: { PATH: process.env.PATH, DATABASE_URL: env.DATABASE_URL },
    });
    expect(psql.stdout).toMatch(/\(10 rows\)/);

    // The clean-up lines, pointed at the test servers: the database goes, the demo's keys go.
    const server = new URL(inject('databaseUrl'));
    const dropdb = commandOf('dropdb')
      .replace(/-h \S+/, `-h ${server.hostname} -p ${server.port || '5432'}`)
      .replace(/-U \S+/, `-U ${decodeURIComponent(server.username) || 'postgres'}`)
      .replace(/\S+$/, name);
    await run('bash', ['-c', dropdb], { env: { PATH: process.env.PATH } });
    const left = await runCli(['report'], env);
    expect(left.stderr).toContain(`the database "${name}"`);

    const redisServer = new URL(inject('redisUrl'));
    const index = 1 + Math.floor(Math.random() * 15);
    const redis = new Redis({
      host: redisServer.hostname,
      port: Number(redisServer.port || 6379),
      db: index,
    });
    cleanups.push(async () => redis.disconnect());
    await redis.set('timetap-sync-demo:readme-test', '1');
    await redis.set('timetap-sync-demo-1a2b3c4d:readme-test', '1');
    await redis.set('someone-else:readme-test', '1');
    const connection = `-h ${redisServer.hostname} -p ${redisServer.port || '6379'} -n ${index}`;
    await run('bash', ['-c', commandOf('redisCli').replaceAll('redis-cli', `redis-cli ${connection}`)], {
      env: { PATH: process.env.PATH },
    });
    expect(await redis.keys('*readme-test')).toEqual(['someone-else:readme-test']);
    await redis.del('someone-else:readme-test');

    commandOf('exportQueue'); // its values are the keep-running demo's, which demo.test.ts uses
    expect([...ran].sort()).toEqual(Object.keys(RUN_HERE).sort());
  }, 120_000);

  it('reads in a terminal: no line past 100 characters, here or in docs/', () => {
    const pages = [
      'README.md',
      ...readdirSync(new URL('../../docs', import.meta.url))
        .filter((page) => page.endsWith('.md'))
        .map((page) => `docs/${page}`),
    ];
    for (const page of pages) {
      const long = read(page)
        .split('\n')
        .filter((line) => line.length > 100);
      expect(long, page).toEqual([]);
    }
    expect(README.split('\n').length).toBeLessThanOrEqual(260);
  });
});
