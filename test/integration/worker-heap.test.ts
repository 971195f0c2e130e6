/**
 * The worker sizes its own heap (src/heap-settings.ts, set by src/main.ts): started as plain
 * `node <entry> worker`, without the flags of `npm start`, its young generation stops growing
 * (`--semi-space-growth-factor=1`) instead of reaching V8's 16 MB semi-spaces by the time it has
 * loaded. Read where an operator would read it: the worker's own /metrics.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import type { TestDatabase } from '../helpers/database.js';
import { useQueuePrefix } from '../helpers/redis.js';
import { workerProcessEnv } from '../helpers/sync.js';
import { useSyncFixture } from '../helpers/use-sync-fixture.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MiB = 1024 * 1024;
const prefix = useQueuePrefix('heap');
let sim: Simulator;
let database: TestDatabase;

useSyncFixture(
  { simulator: { seed: 5, locations: 2 }, simulatorPer: 'file' },
  (fixture) => ({ sim, database } = fixture),
);

/** Starts `node <entry> worker` (no node flags), reads one /metrics, stops it: the new space's size. */
async function newSpaceBytes(): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'worker'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      ...workerProcessEnv(sim, { databaseUrl: database.url, redisUrl: inject('redisUrl'), prefix }),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let text = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        text += chunk;
        const started = text.split('\n').find((line) => line.includes('"msg":"worker started"'));
        if (started) resolve((JSON.parse(started) as { url: string }).url);
      });
      void exited.then((code) => reject(new Error(`the worker exited with ${code}:\n${text}`)));
    });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const line = /^nodejs_heap_space_size_total_bytes\{space="new"\} (\d+)$/m.exec(metrics);
    if (!line) throw new Error(`no new space in /metrics:\n${metrics.slice(0, 2000)}`);
    return Number(line[1]);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

describe("the worker's heap, however it is started", () => {
  it('started without heap flags, the worker keeps its young generation small', async () => {
    // 2 MB semi-spaces at most (the new space counts two): from the built entry they stay at
    // their initial 1 MB, but tsx, which compiles src/main.ts first, has grown them once by then.
    // Without the run-time settings, 16 MB each.
    expect(await newSpaceBytes()).toBeLessThanOrEqual(4 * MiB);
  }, 60_000);
});
