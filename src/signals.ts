/**
 * What SIGINT and SIGTERM mean for the whole process, whichever command runs:
 * - a command that handles them (the worker's graceful shutdown, `sync` aborting its requests,
 *   the simulator closing) gets the first one and takes its time;
 * - a command that does not (check, migrate, report) ends at once, as without any handler;
 * - a second signal of either kind ends the process at once, whatever the first one started:
 *   a person who presses Ctrl-C twice, or an orchestrator that insists, must not wait for a
 *   shutdown that may take the whole grace period.
 * Node's default ends the process only while no listener is registered, and the commands' own
 * listeners are `once`, so without this a SIGTERM followed by a SIGINT changed nothing.
 */
import { constants } from 'node:os';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export function installSignalPolicy(options: { exit?: (code: number) => void } = {}): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let received = 0;
  const listener = (signal: NodeJS.Signals) => {
    received += 1;
    // Ours is the only listener: nobody else handles this signal, so do what Node would have.
    const handledElsewhere = process.listenerCount(signal) > 1;
    if (received > 1 || !handledElsewhere) {
      if (received > 1) process.stderr.write(`\n${signal} again: exiting now\n`);
      // 128 + the signal's number, as a shell reports a process that a signal ended.
      exit(128 + constants.signals[signal]);
    }
  };
  for (const name of SIGNALS) process.on(name, listener);
  return () => {
    for (const name of SIGNALS) process.off(name, listener);
  };
}
