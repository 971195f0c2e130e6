/**
 * `timetap-sync sync` as a user runs it: a process of its own (`node --import tsx src/main.ts
 * sync --json`, as the worker processes of the other measurements start from source), against a
 * database and the simulator. Its time is the run's own (the summary's `durationMs`, from the
 * run's start to its row's close), so that the process's start-up is not counted against the
 * API; its calls are counted on the simulator's side, as for the worker.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Simulator } from '../src/simulator/index.js';
import type { Budget } from './sizes.js';
import { type SyncMeasure, simulatorAccountEnv } from './sync-harness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function runSyncCommand(options: {
  sim: Simulator;
  databaseUrl: string;
  budget: Budget;
  env?: Record<string, string>;
}): Promise<SyncMeasure> {
  const { sim, budget } = options;
  const env: Record<string, string> = {
    ...simulatorAccountEnv(sim, budget),
    DATABASE_URL: options.databaseUrl,
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    ...options.env,
  };
  sim.resetCalls();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'sync', '--json'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  let summary: Record<string, unknown> & { status?: string; durationMs?: number };
  try {
    summary = JSON.parse(stdout) as typeof summary;
  } catch {
    throw new Error(`sync exited with ${code} without a summary: ${stderr.slice(0, 2000)}`);
  }
  return {
    wallMs: Number(summary.durationMs),
    apiCalls: sim.calls.length,
    status: summary.status ?? 'unknown',
    maxInFlight: sim.stats().maxInFlight,
    result: summary,
  };
}
