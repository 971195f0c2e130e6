/**
 * Keeps `npm run bench` runnable: the smallest size (`--smoke`) of every measurement, as a child
 * process against the same Postgres and Redis as the other tests. It checks that the table was
 * printed with all seven measurements and that nothing failed; the figures themselves are not
 * judged here (the machines are shared and noisy; `npm run bench` is where they count).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'tts-bench-smoke-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run bench -- --smoke', () => {
  it('runs every measurement and prints the table', async () => {
    const out = join(dir, 'RESULTS.md');
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--smoke', '--out', out],
      {
        env: { ...process.env, DATABASE_URL: inject('databaseUrl'), REDIS_URL: inject('redisUrl') },
        // Nine measurements, most starting worker processes, and bench 4 first builds dist/ when it
        // is older than src/: two minutes or so on a quiet machine.
        timeout: 230_000,
        maxBuffer: 10 * 1024 * 1024,
      },
    );
    expect(stdout).toContain('| #');
    for (const measurement of [
      '1 full sync',
      '2 unchanged resync',
      '3 write path',
      '4 memory',
      '5 scale-out',
      '6 appointments',
      '7 webhooks',
      '8 adaptive rate',
      '9 history',
      '10 accounts',
    ]) {
      expect(stdout).toContain(`| ${measurement}`);
    }
    expect(stdout).not.toContain('## Errors');
    expect(stdout).toMatch(/commit: [0-9a-f]{40}/);
    expect(readFileSync(out, 'utf8').trim()).toBe(stdout.trim());
  }, 240_000);
});
