/**
 * The real worker as a child process (`node --import tsx src/main.ts worker`), as it runs in
 * production: its own Node heap, its own Postgres pool and Redis connections. Being a process of
 * its own is what lets the benchmark read its peak RSS (Linux: VmHWM in /proc/<pid>/status) and
 * run two of them side by side.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface WorkerProcess {
  pid: number;
  /** Resident memory when the worker reported it was started (kB), before any job. */
  idleRssKb: number | undefined;
  /** Where its HTTP server listens (the `worker started` line's url), e.g. `http://127.0.0.1:40123`. */
  url: string | undefined;
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
  timeoutMs = 60_000,
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'worker'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
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
    peakRssKb: () => readStatusKb(pid, 'VmHWM'),
    cpuMs: () => readCpuMs(pid),
    problems,
    stop: () => stopChild(child, exited),
  };
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
