/**
 * The worker's heap settings (src/heap-settings.ts): which V8 flags the entry point sets at run
 * time, and that `npm start` and the image give node the same settings on its command line.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LEAN_ENV, LEAN_NODE_FLAGS, runtimeHeapFlags, YoungGeneration } from '../../src/heap-settings.js';

const ROOT = new URL('../../', import.meta.url);
const argv = (...args: string[]) => ['/usr/bin/node', 'dist/main.js', ...args];

describe('runtimeHeapFlags', () => {
  it('sizes the heap of a worker started without flags', () => {
    expect(runtimeHeapFlags(argv('worker'), [])).toEqual([
      '--heap-growing-percent=50',
      '--semi-space-growth-factor=1',
    ]);
  });

  it('leaves every other command alone', () => {
    for (const command of ['sync', 'migrate', 'simulator', 'demo', 'status']) {
      expect(runtimeHeapFlags(argv(command), [])).toEqual([]);
    }
    expect(runtimeHeapFlags(argv(), [])).toEqual([]);
    expect(runtimeHeapFlags(argv('sync', 'worker'), [])).toEqual([]);
  });

  it('finds the command after options', () => {
    expect(runtimeHeapFlags(argv('--no-color', 'worker'), [])).toHaveLength(2);
  });

  it('keeps what node was given on its command line, in either spelling', () => {
    // The young generation stays the program's: the lean command line sets no semi-space flag.
    expect(runtimeHeapFlags(argv('worker'), [...LEAN_NODE_FLAGS])).toEqual(['--semi-space-growth-factor=1']);
    expect(runtimeHeapFlags(argv('worker'), ['--heap_growing_percent=80'])).toEqual([
      '--semi-space-growth-factor=1',
    ]);
    for (const semi of [
      '--max-semi-space-size=8',
      '--min_semi_space_size=1',
      '--semi-space-growth-factor=2',
    ]) {
      expect(runtimeHeapFlags(argv('worker'), ['--import', 'tsx', semi])).toEqual([
        '--heap-growing-percent=50',
      ]);
    }
  });

  it('keeps what NODE_OPTIONS gave', () => {
    expect(
      runtimeHeapFlags(argv('worker'), [], '--max-semi-space-size=2  --heap-growing-percent=50'),
    ).toEqual([]);
    expect(runtimeHeapFlags(argv('worker'), [], '--enable-source-maps')).toHaveLength(2);
  });
});

describe('YoungGeneration', () => {
  const deferred = () => {
    let resolve = () => {};
    let reject = (_error: Error) => {};
    const promise = new Promise<void>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
    return { promise, resolve, reject };
  };

  it('lets the young generation grow while any job runs, and holds it small once none does', async () => {
    const flags: string[] = [];
    const young = new YoungGeneration((flag) => flags.push(flag));
    young.manage();
    const first = deferred();
    const second = deferred();
    const a = young.busy(() => first.promise);
    const b = young.busy(() => second.promise);
    expect(flags).toEqual(['--semi-space-growth-factor=2']);
    first.resolve();
    await a;
    expect(flags).toEqual(['--semi-space-growth-factor=2']);
    second.reject(new Error('job failed'));
    await expect(b).rejects.toThrow('job failed');
    expect(flags).toEqual(['--semi-space-growth-factor=2', '--semi-space-growth-factor=1']);
    await young.busy(async () => 'again');
    expect(flags.slice(2)).toEqual(['--semi-space-growth-factor=2', '--semi-space-growth-factor=1']);
  });

  it("leaves a young generation that the process's own flags sized alone", async () => {
    const flags: string[] = [];
    const young = new YoungGeneration((flag) => flags.push(flag));
    expect(await young.busy(async () => 42)).toBe(42);
    expect(flags).toEqual([]);
  });
});

describe('the lean command line, wherever it is written', () => {
  it('is what npm start runs', () => {
    const { scripts } = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const env = Object.entries(LEAN_ENV).map(([name, value]) => `${name}=${value}`);
    expect(scripts.start).toBe([...env, 'node', ...LEAN_NODE_FLAGS, 'dist/main.js', 'worker'].join(' '));
  });

  it("is the image's ENTRYPOINT and ENV", () => {
    const dockerfile = readFileSync(new URL('Dockerfile', ROOT), 'utf8');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(runtime)?.[1];
    expect(JSON.parse(entrypoint ?? '[]')).toEqual(['node', ...LEAN_NODE_FLAGS, 'dist/main.js']);
    expect(/^CMD\s+(\[.*\])\s*$/m.exec(runtime)?.[1]).toBe('["worker"]');
    const env = runtime.replace(/\\\n/g, ' ').match(/^ENV\s+.+$/gm) ?? [];
    for (const [name, value] of Object.entries(LEAN_ENV)) expect(env.join(' ')).toContain(`${name}=${value}`);
  });
});
