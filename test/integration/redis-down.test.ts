/**
 * Redis down, lost, or refusing the database index, as users meet it: the real command line and
 * the real worker process, against the real local Redis and Postgres (reached through a proxy
 * that the test switches off, so that nothing shared is stopped) and the simulator over HTTP.
 *
 * What must hold: every command that needs Redis fails within a few seconds with one line that
 * names Redis and its host and never its password, exit 1; `resync --wait` does not wait for a
 * worker that is not there, and does not call a skipped sync a success; the worker answers
 * `POST /resync` with 503 at once, names each dependency in `/readyz`, logs an outage's loss and
 * return once each, and stops within its grace period with exit 0 while Redis is down.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resyncCommand } from '../../src/commands/resync.js';
import { statusCommand } from '../../src/commands/status.js';
import { workerCommand } from '../../src/commands/worker.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createRedactor, urlCredentials } from '../../src/redact.js';
import type { Runtime } from '../../src/runtime.js';
import type { Simulator } from '../../src/simulator/index.js';
import { spawnWorker } from '../faults/helpers/worker-process.js';
import { soleAccount } from '../helpers/account.js';
import { hasScript, runCli, runCliOnTerminal } from '../helpers/cli.js';
import type { TestDatabase } from '../helpers/database.js';
import { freePort } from '../helpers/free-port.js';
import { deletePrefixed } from '../helpers/redis.js';
import { startSwitchableProxy } from '../helpers/switchable-proxy.js';
import { recentAppointments, simulatorEnv, workerProcessEnv } from '../helpers/sync.js';
import { useSyncFixture } from '../helpers/use-sync-fixture.js';
import { createWorkerHarness, type WorkerHarness } from '../helpers/worker.js';

/** Generous for a loaded CI machine: a few seconds of waiting plus the start of a process. */
const FAST_FAILURE_MS = 8_000;
const PASSWORD = `redis-pw-${randomBytes(6).toString('hex')}`;
const TOKEN = `admin-${randomBytes(12).toString('hex')}`;

let sim: Simulator;
let database: TestDatabase;
let admin: Redis;
const prefixes: string[] = [];

useSyncFixture(
  { simulator: { seed: 5, locations: 2, appointments: recentAppointments() }, simulatorPer: 'file' },
  (fixture) => ({ sim, database } = fixture),
);
beforeAll(() => {
  admin = new Redis(inject('redisUrl'));
});

afterAll(async () => {
  for (const prefix of prefixes) await deletePrefixed(admin, prefix);
  admin.disconnect();
});

function newPrefix(): string {
  const prefix = `tts-test-${randomBytes(4).toString('hex')}`;
  prefixes.push(prefix);
  return prefix;
}

/** A worker harness on this file's simulator and database, its keys deleted after the file. */
async function startHarness(): Promise<WorkerHarness> {
  const harness = await createWorkerHarness({
    sim,
    db: database.db,
    databaseUrl: database.url,
    redisUrl: inject('redisUrl'),
  });
  prefixes.push(harness.prefix);
  return harness;
}

/** The local Redis's URL with a password added (the local one has none: AUTH is then ignored). */
function withPassword(url: string, changes: { port?: number; db?: number } = {}): string {
  const parsed = new URL(url);
  if (!parsed.password) parsed.password = PASSWORD;
  if (changes.port !== undefined) {
    parsed.hostname = '127.0.0.1';
    parsed.port = String(changes.port);
  }
  if (changes.db !== undefined) parsed.pathname = `/${changes.db}`;
  return parsed.toString();
}

function secretOf(url: string): string {
  return decodeURIComponent(new URL(url).password);
}

const nonEmptyLines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

function expectOneRedisLine(stderr: string, host: string, secret: string): string {
  const lines = nonEmptyLines(stderr);
  expect(lines, stderr).toHaveLength(1);
  const [line] = lines as [string];
  expect(line).toContain('Redis');
  expect(line).toContain(host);
  expect(line).not.toContain(secret);
  expect(line).not.toMatch(/ECONNREFUSED|^\s+at /);
  return line;
}

describe('commands with Redis down', () => {
  it.each([
    ['status', ['status']],
    ['resync', ['resync']],
    ['resync --wait', ['resync', '--wait']],
    ['backfill --wait', ['backfill', '--from', '2020-01-01', '--wait']],
    ['worker', ['worker']],
  ])('%s fails within seconds with one line naming Redis and its host, exit 1', async (_name, args) => {
    const port = await freePort();
    const redisUrl = withPassword(inject('redisUrl'), { port });
    const env = simulatorEnv(sim, {
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: newPrefix(),
      HTTP_PORT: '0',
    });
    const started = performance.now();
    const result = await runCli(args, env, 30_000);
    const elapsed = performance.now() - started;
    expect(result.code, result.stderr).toBe(1);
    expect(elapsed).toBeLessThan(FAST_FAILURE_MS);
    const line = expectOneRedisLine(result.stderr, `127.0.0.1:${port}`, secretOf(redisUrl));
    expect(line).toBe(`error: cannot reach Redis at 127.0.0.1:${port} (connection refused); is it running?`);
    expect(result.stdout).toBe('');
  });
});

describe('a database index that Redis refuses', () => {
  // The configuration accepts 0..15 (Redis' default); a server configured with fewer databases
  // refuses a valid-looking index at SELECT. The local one has 16, so /99 plays that server here,
  // handed to the commands past the configuration check.
  function runtimeFor(prefix: string): { runtime: Runtime; logLines: string[]; redisUrl: string } {
    const redisUrl = withPassword(inject('redisUrl'), { db: 99 });
    const env = simulatorEnv(sim, {
      DATABASE_URL: database.url,
      REDIS_URL: inject('redisUrl'),
      QUEUE_PREFIX: prefix,
    });
    const config = loadConfig(env, ['timetap', 'database', 'redis']);
    const redactor = createRedactor([
      soleAccount(config).timetap.apiKey,
      soleAccount(config).timetap.privateKey,
      ...urlCredentials(redisUrl),
    ]);
    const logLines: string[] = [];
    const logger = createLogger({
      level: 'info',
      redactor,
      destination: { write: (l: string) => logLines.push(l) },
    });
    return {
      runtime: { config: { ...config, redis: { ...config.redis, url: redisUrl } }, redactor, logger },
      logLines,
      redisUrl,
    };
  }

  it('status and resync: one line naming the index, exit 1, nothing written to database 0', async () => {
    const prefix = newPrefix();
    const { runtime, logLines, redisUrl } = runtimeFor(prefix);
    for (const run of [
      (output: { out(l: string): void; err(l: string): void }) => statusCommand(runtime, {}, output),
      (output: { out(l: string): void; err(l: string): void }) =>
        resyncCommand(runtime, { wait: true }, output),
    ]) {
      const out: string[] = [];
      const err: string[] = [];
      const started = performance.now();
      const code = await run({ out: (l) => out.push(l), err: (l) => err.push(l) });
      expect(performance.now() - started).toBeLessThan(FAST_FAILURE_MS);
      expect(code).toBe(1);
      expect(out).toEqual([]);
      const line = expectOneRedisLine(
        err.join('\n'),
        new URL(inject('redisUrl')).hostname,
        secretOf(redisUrl),
      );
      expect(line).toMatch(
        /^error: Redis at .* refused database 99 \(ERR DB index is out of range\): REDIS_URL/,
      );
    }
    expect(logLines).toEqual([]);
    expect(await admin.keys(`${prefix}:*`)).toEqual([]);
  });

  it('the worker does not start: one line naming the index, exit 1', async () => {
    const prefix = newPrefix();
    const { runtime, logLines, redisUrl } = runtimeFor(prefix);
    const out: string[] = [];
    const err: string[] = [];
    const started = performance.now();
    expect(await workerCommand(runtime, { out: (l) => out.push(l), err: (l) => err.push(l) })).toBe(1);
    expect(performance.now() - started).toBeLessThan(FAST_FAILURE_MS);
    expect(logLines).toEqual([]);
    expect(out).toEqual([]);
    const line = expectOneRedisLine(err.join('\n'), new URL(inject('redisUrl')).hostname, secretOf(redisUrl));
    expect(line).toMatch(
      /^error: Redis at .* refused database 99 \(ERR DB index is out of range\): REDIS_URL/,
    );
    expect(await admin.keys(`${prefix}:*`)).toEqual([]);
  });
});

describe('resync --wait', () => {
  it('says after a few seconds that no worker consumes the queue, exit 1; --timeout waits anyway', async () => {
    const env = { REDIS_URL: inject('redisUrl'), QUEUE_PREFIX: newPrefix() };
    const started = performance.now();
    const result = await runCli(['resync', '--wait'], env, 30_000);
    expect(performance.now() - started).toBeLessThan(FAST_FAILURE_MS);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^full sync queued: job \S+\n$/);
    expect(nonEmptyLines(result.stderr)).toEqual([
      expect.stringMatching(
        /^resync: no worker is consuming the queue "sync": job \S+ stays waiting .*--timeout/,
      ),
    ]);

    const patient = performance.now();
    const timedOut = await runCli(['resync', '--timeout', '4s'], env, 30_000);
    expect(performance.now() - patient).toBeGreaterThanOrEqual(4_000);
    expect(timedOut.code).toBe(1);
    expect(timedOut.stdout).toMatch(/^full sync already pending: job \S+\n$/);
    expect(nonEmptyLines(timedOut.stderr)).toEqual([
      expect.stringMatching(
        /^resync: gave up after 4 s: job \S+ is still waiting \(no worker is consuming the queue\)$/,
      ),
    ]);

    expect((await runCli(['resync', '--timeout', 'soon'], env)).code).toBe(2);
  });

  it('does not call a skipped sync a success: it prints why, exit 1', async () => {
    const harness = await startHarness();
    try {
      await harness.start();
      // Another full sync is alive (a `timetap-sync sync` in some terminal, say): the job skips.
      const other = await database.db.syncRun.create({
        data: { scope: 'full', trigger: 'cli', status: 'running' },
      });
      const heartbeat = setInterval(() => {
        database.db.syncRun
          .update({ where: { id: other.id }, data: { heartbeatAt: new Date() } })
          .catch(() => undefined);
      }, 300);
      try {
        const skipped = await runCli(['resync', '--wait'], harness.env, 30_000);
        expect(skipped.code, skipped.stderr).toBe(1);
        expect(nonEmptyLines(skipped.stderr)).toEqual([
          `resync: full sync skipped (job ${/job (\S+)/.exec(skipped.stdout)?.[1]}): a full sync is already running (run ${other.id}); nothing was started: try again when it has finished`,
        ]);
        expect(skipped.stdout).not.toContain('succeeded');
      } finally {
        clearInterval(heartbeat);
        await database.db.syncRun.update({
          where: { id: other.id },
          data: { status: 'failed', finishedAt: new Date() },
        });
      }
      const done = await runCli(['resync', '--wait'], harness.env, 30_000);
      expect(done.code, done.stderr).toBe(0);
      // The table `sync` prints, not the job's JSON.
      expect(done.stdout).toMatch(
        /^full sync queued: job \S+\nfull sync succeeded \(run \d+\) in \d+\.\d s\n/,
      );
      expect(done.stdout).toMatch(
        /\ntable +inserted +updated +unchanged +revived +deleted +inactive +skipped\n/,
      );
      expect(done.stdout).toMatch(/\nlocations( +\d+){7}\nstaff( +\d+){7}\n/);
      expect(done.stdout).not.toContain('{');

      const json = await runCli(['resync', '--wait', '--json'], harness.env, 30_000);
      expect(json.code, json.stderr).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({ scope: 'full', status: 'succeeded' });
      expect(nonEmptyLines(json.stderr)).toEqual([expect.stringMatching(/^full sync queued: job \S+$/)]);

      if (hasScript) {
        // On a terminal, a progress line of the run's steps, gone once the result is printed
        // (slow answers, so that the wait sees the run under way).
        sim.setLatency(300);
        const shown = await runCliOnTerminal(['resync', '--wait'], harness.env, 30_000).finally(() =>
          sim.setLatency(0),
        );
        expect(shown.code, shown.text).toBe(0);
        expect(shown.text).toMatch(/resync: \d+\/\d+ steps of the run done/);
        expect(shown.lines.join('\n')).not.toContain('steps of the run');
      }
    } finally {
      await harness.cleanup();
    }
  }, 90_000); // five commands started through tsx, one of them on a slowed simulator
});

describe('the worker process', () => {
  it('with its dependencies lost: readiness names each, POST /resync is 503 at once, one line per outage, and SIGTERM exits 0 within the grace period', async () => {
    const graceMs = 4_000;
    const redisProxy = await startSwitchableProxy(inject('redisUrl'), 6379);
    const databaseProxy = await startSwitchableProxy(database.url, 5432);
    const redisUrl = withPassword(redisProxy.urlFor(inject('redisUrl')));
    const secret = secretOf(redisUrl);
    const worker = spawnWorker(
      workerProcessEnv(
        sim,
        { databaseUrl: databaseProxy.urlFor(database.url), redisUrl, prefix: newPrefix() },
        { ADMIN_TOKEN: TOKEN, SHUTDOWN_GRACE_MS: String(graceMs) },
      ),
    );
    try {
      const url = await worker.started;
      const readyz = async () => {
        const started = performance.now();
        const res = await fetch(`${url}/readyz`);
        const text = await res.text();
        return {
          status: res.status,
          body: JSON.parse(text) as unknown,
          text,
          ms: performance.now() - started,
        };
      };
      const count = (msg: string) =>
        worker
          .output()
          .split('\n')
          .filter((l) => l.includes(`"msg":"${msg}"`)).length;
      expect((await readyz()).status).toBe(200);

      // The database goes away: named `database`, with a short reason and no host.
      await databaseProxy.off();
      const noDatabase = await readyz();
      expect(noDatabase.status).toBe(503);
      expect(noDatabase.body).toEqual({
        status: 'not ready',
        down: ['database'],
        checks: { database: 'connection refused', redis: true, worker: true },
      });
      expect(noDatabase.ms).toBeLessThan(3_000);
      await databaseProxy.on();
      await eventually(async () => (await readyz()).status === 200);

      // Redis goes away.
      await redisProxy.off();
      await worker.waitForOutput(/"msg":"redis unreachable"/, 5_000);
      const noRedis = await readyz();
      expect(noRedis.status).toBe(503);
      expect(noRedis.body).toEqual({
        status: 'not ready',
        down: ['redis', 'worker'],
        checks: { database: true, redis: 'unreachable', worker: 'not consuming' },
      });
      expect(noRedis.ms).toBeLessThan(3_000);
      const posted = performance.now();
      const res = await fetch(`${url}/resync`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(performance.now() - posted).toBeLessThan(2_000);
      expect(res.status).toBe(503);
      const answer = await res.text();
      expect(answer).toContain('Redis');
      expect(answer).not.toContain(secret);

      // Six seconds of outage: every reconnection attempt and BullMQ loop fails, one line says so.
      await delay(6_000);
      expect(count('redis unreachable')).toBe(1);
      await redisProxy.on();
      await worker.waitForOutput(/"msg":"redis reachable again"/, 30_000);
      await eventually(async () => (await readyz()).status === 200, 30_000);
      expect(count('redis reachable again')).toBe(1);

      // SIGTERM while Redis is down: exit 0 within the grace period (not the 25 s and exit 1 of old).
      await redisProxy.off();
      await worker.waitForOutput(/"msg":"redis unreachable"/, 5_000);
      await eventually(async () => count('redis unreachable') === 2);
      const stopping = performance.now();
      worker.kill('SIGTERM');
      const exit = await worker.exited;
      expect(performance.now() - stopping).toBeLessThan(graceMs);
      expect(exit).toEqual({ code: 0, signal: null });

      const output = worker.output();
      expect(output).toContain('"msg":"worker stopped"');
      for (const noise of [
        'queue error',
        'worker error',
        'redis connection error',
        'shutdown took too long',
      ]) {
        expect(output).not.toContain(noise);
      }
      expect(output).not.toMatch(/^\s+at /m); // no raw stack trace
      expect(output).not.toContain(secret);
      expect(output).not.toContain(TOKEN);
    } finally {
      worker.kill('SIGKILL');
      await redisProxy.close();
      await databaseProxy.close();
    }
  }, 90_000);
});

describe('a worker process running a sync when Redis goes away', () => {
  it('on SIGTERM fails what waits for Redis, closes the run in Postgres, and exits 0 within the grace period', async () => {
    const graceMs = 4_000;
    const redisProxy = await startSwitchableProxy(inject('redisUrl'), 6379);
    const worker = spawnWorker(
      workerProcessEnv(
        sim,
        {
          databaseUrl: database.url,
          redisUrl: withPassword(redisProxy.urlFor(inject('redisUrl'))),
          prefix: newPrefix(),
        },
        { ADMIN_TOKEN: TOKEN, SHUTDOWN_GRACE_MS: String(graceMs) },
      ),
    );
    sim.setLatency(200); // the walk takes a while: Redis goes away in the middle of it
    try {
      const url = await worker.started;
      const before = await database.db.syncRun.aggregate({ _max: { id: true } });
      const res = await fetch(`${url}/resync`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(res.status).toBe(202);
      let runId: number | undefined;
      await eventually(async () => {
        const run = await database.db.syncRun.findFirst({
          where: { id: { gt: before._max.id ?? 0 }, status: 'running' },
        });
        runId = run?.id;
        return runId !== undefined;
      });
      await redisProxy.off();
      await worker.waitForOutput(/"msg":"redis unreachable"/, 5_000);
      const stopping = performance.now();
      worker.kill('SIGTERM');
      const exit = await worker.exited;
      expect(performance.now() - stopping).toBeLessThan(graceMs);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(worker.output()).toContain('"msg":"closing without Redis"');
      // The job's own Redis commands failed when the connection was dropped: it closed its run.
      const run = await database.db.syncRun.findUniqueOrThrow({ where: { id: runId as number } });
      expect(run.status).toBe('failed');
      expect(run.finishedAt).not.toBeNull();
    } finally {
      sim.setLatency(0);
      worker.kill('SIGKILL');
      await redisProxy.close();
    }
  }, 60_000);
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await delay(200);
  }
  throw new Error(`not true within ${timeoutMs} ms`);
}

describe('backfill', () => {
  it('refuses a bad range with one line, exit 2, before touching Redis', async () => {
    const env = { REDIS_URL: 'redis://127.0.0.1:1', QUEUE_PREFIX: newPrefix() };
    for (const [args, message] of [
      [['--from', '2024-02-30'], /^error: --from must be a date such as 2024-01-31/],
      [['--from', '2024-03-01', '--to', '2024-02-01'], /^error: --from 2024-03-01 is after --to 2024-02-01$/],
      [['--from', '2999-01-01'], /inside the rolling window that every full sync reads/],
    ] as const) {
      const result = await runCli(['backfill', ...args], env, 30_000);
      expect(result.code, result.stderr).toBe(2);
      expect(nonEmptyLines(result.stderr)).toEqual([expect.stringMatching(message)]);
    }
    expect((await runCli(['backfill'], env)).code).toBe(2); // --from is required
  });

  it('--wait reads the range through the workers and prints the result, exit 0; status shows the history read', async () => {
    const harness = await startHarness();
    try {
      await harness.start();
      await database.db.$executeRawUnsafe('TRUNCATE backfill_chunks');
      const result = await runCli(
        ['backfill', '--from', '2025-01-06', '--to', '2025-02-02', '--wait'],
        harness.env,
        30_000,
      );
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(
        /^backfill of 2025-01-06\.\.2025-02-02 queued \(\d+ chunks of up to 7 days\): job \S+\n/,
      );
      const chunks = Number(/queued \((\d+) chunks/.exec(result.stdout)?.[1]);
      expect(result.stdout).toContain(`\nbackfill succeeded (run `);
      expect(result.stdout).toMatch(new RegExp(`\\) in \\d+\\.\\d s: ${chunks} chunks of dates\\n`));
      expect(result.stdout).toMatch(/\nappointments +\d+ +0 +0 +0 +0 +0 +0\n/);
      expect(result.stderr).toBe(''); // the progress line is for a terminal only

      if (hasScript) {
        sim.setLatency(500);
        const shown = await runCliOnTerminal(
          ['backfill', '--from', '2025-01-06', '--to', '2025-02-02', '--again', '--wait'],
          harness.env,
          30_000,
        ).finally(() => sim.setLatency(0));
        expect(shown.code, shown.text).toBe(0);
        expect(shown.text).toMatch(new RegExp(`backfill: \\d+/${chunks} chunks of dates read`));
        expect(shown.lines.join('\n')).toMatch(/backfill succeeded \(run \d+\)/);
      }

      const json = await runCli(
        ['backfill', '--from', '2025-01-06', '--to', '2025-02-02', '--wait', '--json'],
        harness.env,
        30_000,
      );
      expect(json.code, json.stderr).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({
        scope: 'backfill',
        status: 'succeeded',
        chunks,
        skipped: chunks,
      });

      const status = await runCli(['status'], harness.env, 30_000);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(
        /appointment history backfilled: \d+ chunks between 2025-01-0\d and 2025-02-0\d/,
      );
      expect(status.stdout).toMatch(/#\d+ .* backfill +succeeded/);
    } finally {
      await harness.cleanup();
    }
  });
});
