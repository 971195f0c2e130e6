/**
 * The real worker as a child process: its own Node heap, its own Postgres pool and Redis
 * connections. Being a process of its own is what lets the benchmark read its peak RSS (Linux:
 * VmHWM in /proc/<pid>/status) and run two of them side by side.
 *
 * Two ways to start it. `source` (`node --import tsx src/main.ts worker`) needs no build; `built`
 * is the command of `npm start` (package.json), on dist/, as it runs in production. Memory is
 * measured on the built worker only: tsx's compiler, loaded in the worker's own process, adds
 * tens of megabytes that production never has.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export type WorkerEntry = 'source' | 'built';

export interface WorkerProcess {
  pid: number;
  /** Resident memory when the worker reported it was started (kB), before any job. */
  idleRssKb: number | undefined;
  /** Where its HTTP server listens (the `worker started` line's url), e.g. `http://127.0.0.1:40123`. */
  url: string | undefined;
  /** Resident memory now (kB), undefined where /proc is missing. */
  rssKb(): number | undefined;
  /** Peak resident memory so far (kB), undefined where /proc is missing. */
  peakRssKb(): number | undefined;
  /** CPU time used so far, user and system (ms), undefined where /proc is missing. */
  cpuMs(): number | undefined;
  /** Log lines at warn level or above, for the report when something went wrong. */
  problems: string[];
  /** SIGTERM, then waits for the exit; returns the exit code. */
  stop(): Promise<number | null>;
}

export async function startWorkerProcess(
  env: Record<string, string>,
  { entry = 'source', timeoutMs = 60_000 }: { entry?: WorkerEntry; timeoutMs?: number } = {},
): Promise<WorkerProcess> {
  const start = entry === 'built' ? startCommand() : undefined;
  const args = start?.args ?? ['--import', 'tsx', 'src/main.ts', 'worker'];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...start?.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const problems: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let url: string | undefined;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker did not start within ${timeoutMs} ms`)),
      timeoutMs,
    );
    let buffered = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const entry = parse(line);
        if (entry?.msg === 'worker started') {
          url = typeof entry.url === 'string' ? entry.url : undefined;
          clearTimeout(timer);
          resolve();
        }
        if (entry === undefined || (typeof entry.level === 'number' && entry.level >= 40)) {
          if (problems.length < 20) problems.push(line.slice(0, 500));
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before it started: ${problems.join('\n')}`));
    });
  });
  const pid = child.pid as number;
  return {
    pid,
    idleRssKb: readStatusKb(pid, 'VmRSS'),
    url,
    rssKb: () => readStatusKb(pid, 'VmRSS'),
    peakRssKb: () => readStatusKb(pid, 'VmHWM'),
    cpuMs: () => readCpuMs(pid),
    problems,
    stop: () => stopChild(child, exited),
  };
}

/**
 * `npm start` as package.json writes it: its environment assignments (`NAME=value` before the
 * command) and the arguments after `node`, its Node flags included, so that the benchmark measures
 * the worker exactly as it is started.
 */
export function startCommand(): { env: Record<string, string>; args: string[]; text: string } {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  const text = (manifest.scripts?.start ?? '').trim();
  const words = text.split(/\s+/);
  const env: Record<string, string> = {};
  while (words[0] !== undefined && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const [name = '', ...value] = (words.shift() as string).split('=');
    env[name] = value.join('=');
  }
  const [command, ...args] = words;
  if (command !== 'node' || !args.includes('dist/main.js')) {
    throw new Error(`the start script is not "[NAME=value ...] node [flags] dist/main.js worker": ${text}`);
  }
  return { env, args, text };
}

/**
 * Builds dist/ (`npm run build`) unless it is newer than every file it is built from: a stale
 * dist/ would measure some other version of the worker.
 */
export function ensureBuilt(log: (message: string) => void): void {
  const main = join(ROOT, 'dist', 'main.js');
  const builtAt = existsSync(main) ? statSync(main).mtimeMs : 0;
  const sources = [join(ROOT, 'prisma', 'schema.prisma'), ...filesUnder(join(ROOT, 'src'))];
  if (sources.every((file) => statSync(file).mtimeMs <= builtAt)) return;
  log('building dist/ (npm run build): it is older than src/');
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'postinstall.mjs')], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`npm run build failed (exit ${result.status})`);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    // The generated client is rewritten by every build, from prisma/schema.prisma.
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : filesUnder(path);
    return [path];
  });
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  const hard = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    return await exited;
  } finally {
    clearTimeout(hard);
  }
}

function parse(line: string): { msg?: string; level?: number; url?: unknown } | undefined {
  if (line.trim() === '') return {};
  try {
    return JSON.parse(line) as { msg?: string; level?: number; url?: unknown };
  } catch {
    return undefined;
  }
}

/** A `Vm*:  1234 kB` line of /proc/<pid>/status. */
export function readStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Clock ticks per second of /proc/<pid>/stat: USER_HZ, 100 on every mainstream Linux. */
const USER_HZ = 100;

/** utime + stime of /proc/<pid>/stat (fields 14 and 15, counted after the command's parenthesis). */
export function readCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / USER_HZ : undefined;
  } catch {
    return undefined;
  }
}
