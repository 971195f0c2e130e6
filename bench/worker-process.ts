/**
 * The real worker as a child process: its own Node heap, its own Postgres pool and Redis
 * connections. Being a process of its own is what lets the benchmark read its peak RSS (Linux:
 * VmHWM in /proc/<pid>/status) and run two of them side by side.
 *
 * How it starts is a `WorkerLaunch`. `sourceLaunch()` (`node --import tsx src/main.ts worker`)
 * needs no build; `documentedLaunches()` are the ways the documentation gives for the built
 * worker, each spawned as written (`npm start` through npm, `npx timetap-sync worker` through
 * npx and the bin's shebang, the image's ENTRYPOINT and ENV as the Dockerfile writes them), so
 * that a setting one of them loses shows in its figures. Memory is measured on the built worker
 * only: tsx's compiler, loaded in the worker's own process, adds tens of megabytes that
 * production never has.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface WorkerLaunch {
  /** As the documentation writes it, e.g. `npm start`. */
  name: string;
  /** The program spawned in the project's directory, its arguments and what it adds to the environment. */
  command: string;
  args: string[];
  env: Record<string, string>;
  /** What that ends up running, where the launch goes through npm (for the notes). */
  runs?: string;
}

/**
 * The worker from src/ through tsx, with the settings of `npm start` (its environment
 * assignments and node flags), so that what a section measures is the heap production runs.
 */
export function sourceLaunch(): WorkerLaunch {
  const start = startScriptLaunch();
  const flags = start.args.slice(0, start.args.indexOf('dist/main.js'));
  return {
    name: 'node --import tsx src/main.ts worker',
    command: process.execPath,
    args: [...flags, '--import', 'tsx', 'src/main.ts', 'worker'],
    env: start.env,
  };
}

export interface WorkerProcess {
  /** The worker's own process: the deepest node process of what the launch started. */
  pid: number;
  launch: WorkerLaunch;
  /** Resident memory when the worker reported it was started (kB), before any job. */
  idleRssKb: number | undefined;
  /** Where its HTTP server listens (the `worker started` line's url), e.g. `http://127.0.0.1:40123`. */
  url: string | undefined;
  /** Resident memory now (kB), undefined where /proc is missing. */
  rssKb(): number | undefined;
  /** Peak resident memory so far (kB), undefined where /proc is missing. */
  peakRssKb(): number | undefined;
  /** Resident memory of every other process of the launch (npm, sh; kB): 0 when the worker is alone. */
  launcherRssKb(): number | undefined;
  /** CPU time used so far, user and system (ms), undefined where /proc is missing. */
  cpuMs(): number | undefined;
  /** Log lines at warn level or above, for the report when something went wrong. */
  problems: string[];
  /**
   * SIGTERM to the worker's own process, then waits for the launch's exit; returns its exit code.
   * (npm does not pass SIGTERM on: signalled itself, it exits 143 and leaves the worker running.)
   */
  stop(): Promise<number | null>;
}

export async function startWorkerProcess(
  env: Record<string, string>,
  { launch = sourceLaunch(), timeoutMs = 120_000 }: { launch?: WorkerLaunch; timeoutMs?: number } = {},
): Promise<WorkerProcess> {
  // What the launch sets itself and nothing the benchmark happens to run with: a
  // MALLOC_ARENA_MAX or NODE_OPTIONS of its own environment would make every launch look lean.
  const { MALLOC_ARENA_MAX: _arenas, NODE_OPTIONS: _options, ...inherited } = process.env;
  // BENCH_NODE_ARGS: node options for the worker processes that node starts directly, to look
  // inside one (`--cpu-prof --cpu-prof-dir=DIR`, `--trace-gc`, whose lines go to our stdout).
  const nodeArgs = launch.command === process.execPath ? (process.env.BENCH_NODE_ARGS ?? '').split(' ') : [];
  const child = spawn(launch.command, [...nodeArgs.filter(Boolean), ...launch.args], {
    cwd: ROOT,
    env: { ...inherited, ...launch.env, ...env },
    stdio: ['ignore', process.env.BENCH_NODE_ARGS ? 'inherit' : 'ignore', 'pipe'],
  });
  const problems: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let url: string | undefined;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker (${launch.name}) did not start within ${timeoutMs} ms`)),
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
      reject(
        new Error(`worker (${launch.name}) exited with ${code} before it started: ${problems.join('\n')}`),
      );
    });
  });
  const root = child.pid as number;
  const tree = () => processTree(root);
  // The deepest node process: npm (node too) and sh sit above the worker, esbuild (tsx) below it.
  const pid = tree().filter(isNode).at(-1) ?? root;
  return {
    pid,
    launch,
    idleRssKb: readStatusKb(pid, 'VmRSS'),
    url,
    rssKb: () => readStatusKb(pid, 'VmRSS'),
    peakRssKb: () => readStatusKb(pid, 'VmHWM'),
    launcherRssKb: () =>
      tree()
        .filter((p) => p !== pid)
        .reduce<number | undefined>((sum, p) => add(sum, readStatusKb(p, 'VmRSS')), 0),
    cpuMs: () => readCpuMs(pid),
    problems,
    stop: () => stopChild(child, pid, exited),
  };
}

function add(sum: number | undefined, kb: number | undefined): number | undefined {
  return sum === undefined || kb === undefined ? undefined : sum + kb;
}

const NODE = basename(realpathSync(process.execPath));

function isNode(pid: number): boolean {
  try {
    return basename(readlinkSync(`/proc/${pid}/exe`)) === NODE;
  } catch {
    return false;
  }
}

/** `root` and its descendants, parents before children (from /proc/<pid>/stat's ppid). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = readStatField(Number(name), 1);
    if (ppid === undefined) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const order = [root];
  for (let i = 0; i < order.length; i++) order.push(...(children.get(order[i] as number) ?? []));
  return order;
}

/** Every documented way of starting the built worker, in the order the documentation gives them. */
export function documentedLaunches(): WorkerLaunch[] {
  return [
    { name: 'npm start', command: 'npm', args: ['start'], env: {}, runs: startScriptLaunch().name },
    {
      name: 'npx timetap-sync worker',
      command: 'npx',
      args: ['timetap-sync', 'worker'],
      env: {},
      runs: `the bin dist/main.js through its first line, ${readFileSync(join(ROOT, 'dist', 'main.js'), 'utf8').split('\n')[0]}`,
    },
    {
      name: 'node dist/main.js worker',
      command: process.execPath,
      args: ['dist/main.js', 'worker'],
      env: {},
    },
    imageLaunch(),
  ];
}

/**
 * `npm start`'s command without npm: the script's environment assignments (`NAME=value` before
 * the command) and the arguments after `node`, its flags included.
 */
export function startScriptLaunch(): WorkerLaunch {
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
  return { name: text, command: process.execPath, args, env };
}

/**
 * The image's worker as the Dockerfile's runtime stage starts it: its ENV, its ENTRYPOINT and
 * CMD (exec form), with this machine's node for the image's (`node` on the image's PATH).
 */
export function imageLaunch(): WorkerLaunch {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const [, assignments = ''] of runtime.matchAll(/^ENV\s+(.+)$/gm)) {
    for (const [, name = '', value = ''] of assignments.matchAll(/([A-Z_][A-Z0-9_]*)=(\S*)/g))
      env[name] = value;
  }
  const exec = (instruction: string): string[] => {
    const match = new RegExp(`^${instruction}\\s+(\\[.*\\])\\s*$`, 'm').exec(runtime);
    return match ? (JSON.parse(match[1] as string) as string[]) : [];
  };
  const [command, ...args] = [...exec('ENTRYPOINT'), ...exec('CMD')];
  if (command !== 'node' || !args.includes('dist/main.js') || args.at(-1) !== 'worker') {
    throw new Error(
      `the image does not start "node [flags] dist/main.js worker": ${[command, ...args].join(' ')}`,
    );
  }
  return { name: 'the image (docker compose up)', command: process.execPath, args, env };
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

async function stopChild(
  child: ChildProcess,
  pid: number,
  exited: Promise<number | null>,
): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  signal(pid, 'SIGTERM');
  const hard = setTimeout(() => {
    signal(pid, 'SIGKILL');
    child.kill('SIGKILL');
  }, 30_000);
  try {
    return await exited;
  } finally {
    clearTimeout(hard);
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
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

/** utime + stime of /proc/<pid>/stat (fields 14 and 15). */
export function readCpuMs(pid: number): number | undefined {
  const utime = readStatField(pid, 11);
  const stime = readStatField(pid, 12);
  return utime === undefined || stime === undefined ? undefined : ((utime + stime) * 1000) / USER_HZ;
}

/** A numeric field of /proc/<pid>/stat, counted from the state after the command's parenthesis (0). */
function readStatField(pid: number, index: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const value = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[index]);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
