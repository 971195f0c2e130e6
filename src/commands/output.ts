/**
 * Where a command prints: stdout for its result, stderr for the one line that says what went
 * wrong. Injected so that tests can read both without spawning a process.
 */
export interface CommandOutput {
  out(line: string): void;
  err(line: string): void;
}

export const CONSOLE_OUTPUT: CommandOutput = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};
