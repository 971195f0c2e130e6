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
 * - `--max-semi-space-size` is read only when the heap is created and changes nothing later;
 *   `--semi-space-growth-factor=1` keeps the semi-spaces at their initial 1 MB instead (the
 *   command line's 2 MB costs about a tenth less CPU on a backfill, hence both).
 * Only these: a flag V8 acts on at start-up alone is ignored later or worse (`--single-threaded`
 * set at run time aborts the process at its next full collection). And glibc's MALLOC_ARENA_MAX
 * cannot be set from inside at all: glibc reads it at the first allocation, before any
 * JavaScript runs; without it the worker holds about 15 MB more.
 */

const MAX_SEMI_SPACE = '--max-semi-space-size=2';
const HEAP_GROWING = '--heap-growing-percent=50';
const FIXED_SEMI_SPACE = '--semi-space-growth-factor=1';

/** What `npm start` and the image put on node's command line. */
export const LEAN_NODE_FLAGS = [MAX_SEMI_SPACE, HEAP_GROWING] as const;
/** What they put in its environment: one malloc arena for all threads. */
export const LEAN_ENV = { MALLOC_ARENA_MAX: '1' } as const;

/** Flags that size the young generation: given any of them, the process keeps its own choice. */
const SEMI_SPACE_FLAGS = ['--max-semi-space-size', '--min-semi-space-size', '--semi-space-growth-factor'];

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
