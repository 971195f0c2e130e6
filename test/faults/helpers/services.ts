/**
 * Stops and starts the machine's own Postgres and Redis (with the commands that started them) for the
 * scenarios that take them away. Every stop is paired with a start in the scenario's `finally`,
 * and `ensureServices()` (run before and after each file) starts whatever is down, waiting until
 * it answers: the machine is left as it was found.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REDIS = ['-h', '127.0.0.1', '-p', '6379'];

function postgresVersion(): string {
  const [version] = readdirSync('/etc/postgresql').sort();
  if (!version) throw new Error('no Postgres cluster under /etc/postgresql');
  return version;
}

async function succeeds(file: string, args: string[]): Promise<boolean> {
  try {
    await run(file, args, { timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

export const redisAnswers = async () =>
  (
    await run('redis-cli', [...REDIS, 'ping'], { timeout: 5_000 }).catch(() => ({ stdout: '' }))
  ).stdout.trim() === 'PONG';
export const postgresAnswers = () => succeeds('pg_isready', ['-h', '127.0.0.1', '-p', '5432', '-q']);

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} within ${timeoutMs} ms`);
}

export async function stopRedis(): Promise<void> {
  await succeeds('redis-cli', [...REDIS, 'shutdown', 'nosave']);
  await waitUntil('Redis did not stop', async () => !(await redisAnswers()));
}

export async function startRedis(): Promise<void> {
  if (await redisAnswers()) return;
  mkdirSync('/var/lib/redis', { recursive: true });
  mkdirSync('/var/log/redis', { recursive: true });
  await run('redis-server', [
    '--daemonize',
    'yes',
    '--bind',
    '127.0.0.1',
    '-::1',
    '--port',
    '6379',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    '/var/lib/redis',
    '--logfile',
    '/var/log/redis/ci.log',
  ]);
  await waitUntil('Redis did not start', redisAnswers);
}

export async function restartPostgres(mode: 'fast' | 'immediate'): Promise<void> {
  await run(
    'pg_ctlcluster',
    ['--skip-systemctl-redirect', postgresVersion(), 'main', 'restart', '-m', mode],
    { timeout: 60_000 },
  );
  await waitUntil('Postgres did not come back', postgresAnswers, 60_000);
}

export async function startPostgres(): Promise<void> {
  if (await postgresAnswers()) return;
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', postgresVersion(), 'main', 'start'], {
    timeout: 60_000,
  }).catch(() => undefined); // "already running" while still starting up
  await waitUntil('Postgres did not start', postgresAnswers, 60_000);
}

/** Starts whichever of the two is down. */
export async function ensureServices(): Promise<void> {
  await startPostgres();
  await startRedis();
}
