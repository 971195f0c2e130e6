/**
 * The worker's heap, sized for a small long-lived service however its process was started.
 *
 * V8's defaults size the heap for throughput: young-generation semi-spaces that grow to 16 MB,
 * and an old generation that may grow to four times what survives a full collection, so a worker
 * that once synced a large account keeps that account's garbage. `npm start` and the image give
 * node LEAN_NODE_FLAGS and LEAN_ENV; started any other way (`node dist/main.js worker`, `npx
 * timetap-sync worker`), the entry point sets at run time what still takes effect once the heap
 * exists (measured in docs/worker-memory.md):
 * - `--heap-growing-percent` is read whenever V8 computes the heap's next limit, so set at run
 *   time it works as on the command line;
 * - `--max-semi-space-size` is read only when the heap is created and changes nothing later; the
 *   growth factor is read whenever the new space might grow, so the worker sizes its young
 *   generation with it, however it was started (`YoungGeneration`): 1 (the semi-spaces stay at
 *   their initial 1 MB) while it idles, V8's 2 while a job runs.
 * Only these: a flag V8 acts on at start-up alone is ignored later or worse (`--single-threaded`
 * set at run time aborts the process at its next full collection). And glibc's MALLOC_ARENA_MAX
 * cannot be set from inside at all: glibc reads it at the first allocation, before any
 * JavaScript runs; without it the worker holds about 15 MB more.
 */

import { setFlagsFromString } from 'node:v8';

const HEAP_GROWING = '--heap-growing-percent=50';
const FIXED_SEMI_SPACE = '--semi-space-growth-factor=1';
/** V8's own growth factor: the semi-spaces double, up to their maximum, while survivors abound. */
const GROWING_SEMI_SPACE = '--semi-space-growth-factor=2';

/** What `npm start` and the image put on node's command line. */
export const LEAN_NODE_FLAGS = [HEAP_GROWING] as const;
/** What they put in its environment: one malloc arena for all threads. */
export const LEAN_ENV = { MALLOC_ARENA_MAX: '1' } as const;

/** Flags that size the young generation: given any of them, the process keeps its own choice. */
const SEMI_SPACE_FLAGS = ['--max-semi-space-size', '--min-semi-space-size', '--semi-space-growth-factor'];

/**
 * Sets the run-time flags (main.ts, before anything else is loaded) and hands the young
 * generation to `youngGeneration` when the process left it to the program.
 */
export function applyRuntimeHeapFlags(
  argv: readonly string[],
  execArgv: readonly string[],
  nodeOptions = '',
): void {
  const flags = runtimeHeapFlags(argv, execArgv, nodeOptions);
  for (const flag of flags) setFlagsFromString(flag);
  if (flags.includes(FIXED_SEMI_SPACE)) youngGeneration.manage();
}

/**
 * The young generation held at its smallest while the worker idles, and free to grow as V8 sizes
 * it for throughput while a job runs: a backfill allocates a page's records, rows and texts by the
 * megabyte, and in 1 MB semi-spaces most of that survived a scavenge or two only because the
 * scavenges came so often (bench 6: a fifth of the worker's CPU went to them, and the year's
 * backfill took 1.5x its API bound instead of 1.3x). The cost is memory while and after it works:
 * once no job runs the factor is 1 again, which stops further growth, but the new space V8 grew
 * stays until V8 shrinks it (bench 4: a full sync of 100 locations peaks at 178-180 MB instead of
 * 141-153, and holds 173-180 MB right after; an idle worker that has run no job is as lean).
 */
export class YoungGeneration {
  private managed = false;
  private running = 0;

  constructor(private readonly setFlags: (flag: string) => void = setFlagsFromString) {}

  /** The process left the young generation to the program (no semi-space flag of its own). */
  manage(): void {
    this.managed = true;
  }

  /** Runs `work` (a job) with the young generation free to grow. */
  async busy<T>(work: () => Promise<T>): Promise<T> {
    if (!this.managed) return work();
    if (this.running++ === 0) this.setFlags(GROWING_SEMI_SPACE);
    try {
      return await work();
    } finally {
      if (--this.running === 0) this.setFlags(FIXED_SEMI_SPACE);
    }
  }
}

/** The process's young generation (V8's flags are the process's). */
export const youngGeneration = new YoungGeneration();

/**
 * The V8 flags to set at run time (v8.setFlagsFromString) in a process started with `argv`,
 * node's own `execArgv` and NODE_OPTIONS: none unless the command is `worker`, and none that the
 * process was given itself.
 */
export function runtimeHeapFlags(
  argv: readonly string[],
  execArgv: readonly string[],
  nodeOptions = '',
): string[] {
  if (argv.slice(2).find((arg) => !arg.startsWith('-')) !== 'worker') return [];
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].map(flagName));
  const flags: string[] = [];
  if (!given.has(flagName(HEAP_GROWING))) flags.push(HEAP_GROWING);
  if (!SEMI_SPACE_FLAGS.some((name) => given.has(name))) flags.push(FIXED_SEMI_SPACE);
  return flags;
}

/** `--heap_growing_percent=50` -> `--heap-growing-percent`: V8 takes either spelling. */
function flagName(arg: string): string {
  return (arg.split('=')[0] ?? '').replaceAll('_', '-');
}
