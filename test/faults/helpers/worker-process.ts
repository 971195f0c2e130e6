/**
 * The real worker as a child process (`node --import tsx src/main.ts worker`), the way it runs in
 * production: only environment variables configure it, signals stop it. Everything it prints is
 * kept in memory, so that a scenario can wait for a log line and the secret sweep can read it all.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WorkerProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the HTTP base URL once the worker logged `worker started`. */
  started: Promise<string>;
  exited: Promise<WorkerExit>;
  isAlive(): boolean;
  /** Resolves when a line of output matches; rejects after timeoutMs or if the process exits. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): void;
}

export function spawnWorker(env: NodeJS.ProcessEnv): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'worker'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  let alive = true;
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<WorkerExit>((resolve) => {
    child.on('exit', (code, signal) => {
      alive = false;
      for (const listener of listeners) listener();
      resolve({ code, signal });
    });
  });

  const waitForOutput = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = text.split('\n').find((l) => pattern.test(l));
        if (line !== undefined) {
          done();
          resolve(line);
        } else if (!alive) {
          done();
          reject(new Error(`worker ${child.pid} exited before printing ${pattern}\n${tail(text)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`worker ${child.pid} did not print ${pattern} within ${timeoutMs} ms\n${tail(text)}`),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  const started = waitForOutput(/"msg":"worker started"/).then((line) => {
    const url = (JSON.parse(line) as { url?: string }).url;
    if (!url) throw new Error('the worker started without an HTTP url');
    return url;
  });
  started.catch(() => undefined); // a scenario that never awaits it must not see an unhandled rejection

  return {
    pid: child.pid ?? -1,
    child,
    output: () => text,
    started,
    exited,
    isAlive: () => alive,
    waitForOutput,
    kill(signal = 'SIGTERM') {
      if (alive) child.kill(signal);
    },
  };
}

function tail(text: string): string {
  return text.split('\n').slice(-30).join('\n');
}
