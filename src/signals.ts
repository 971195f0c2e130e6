/**
 * What SIGINT and SIGTERM mean for the whole process, whichever command runs:
 * - a command that handles them (the worker's graceful shutdown, `sync` aborting its requests,
 *   the simulator closing) gets the first one and takes its time;
 * - a command that does not (check, migrate, report) ends at once, as without any handler;
 * - a second signal of either kind ends the process promptly, whatever the first one started:
 *   a person who presses Ctrl-C twice, or an orchestrator that insists, must not wait for a
 *   shutdown that may take the whole grace period. Promptly, not blindly: what a command
 *   registered with `beforeForcedExit` (`sync` closing its run as `failed`) gets a short,
 *   bounded moment first, so that no row is left `running` by a process that is gone.
 * Node's default ends the process only while no listener is registered, and the commands' own
 * listeners are `once`, so without this a SIGTERM followed by a SIGINT changed nothing.
 */
import { constants } from 'node:os';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** How long the last words of a forced exit may take: a database write, not a shutdown. */
const FORCED_EXIT_GRACE_MS = 2_000;

type LastWords = (signal: NodeJS.Signals) => Promise<unknown>;
const lastWords = new Set<LastWords>();

/** Runs `task` (bounded by FORCED_EXIT_GRACE_MS) before a second signal ends the process. */
export function beforeForcedExit(task: LastWords): () => void {
  lastWords.add(task);
  return () => {
    lastWords.delete(task);
  };
}

export function installSignalPolicy(
  options: { exit?: (code: number) => void; graceMs?: number } = {},
): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const graceMs = options.graceMs ?? FORCED_EXIT_GRACE_MS;
  let received = 0;
  const listener = (signal: NodeJS.Signals) => {
    received += 1;
    // 128 + the signal's number, as a shell reports a process that a signal ended.
    const code = 128 + constants.signals[signal];
    // Ours is the only listener: nobody else handles this signal, so do what Node would have.
    const handledElsewhere = process.listenerCount(signal) > 1;
    if (received === 1 && !handledElsewhere) {
      exit(code);
      return;
    }
    if (received === 2) {
      process.stderr.write(`\n${signal} again: exiting now\n`);
      const tasks = [...lastWords].map((task) => task(signal).catch(() => undefined));
      if (tasks.length === 0) {
        exit(code);
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      });
      void Promise.race([Promise.allSettled(tasks), bound]).then(() => {
        clearTimeout(timer);
        exit(code);
      });
      return;
    }
    // A third signal does not wait for the last words either.
    if (received > 2) exit(code);
  };
  for (const name of SIGNALS) process.on(name, listener);
  return () => {
    for (const name of SIGNALS) process.off(name, listener);
  };
}
