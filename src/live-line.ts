/**
 * The live line: the one line at the bottom of a terminal that is rewritten in place (the
 * progress line of `sync` and `demo`). Anything else written to the same terminal while it is
 * shown (a log line) must go above it, or the two run into each other on one line; so writers
 * go through `writeAboveLiveLine`, which clears the live line, writes, and draws it again.
 */

/** `\r` back to the start of the line, ESC[2K erase it. */
const ERASE_LINE = '\r\x1b[2K';

/** Where lines go: a terminal's stream, or anything that takes text (a test's capture). */
export interface LineSink {
  write(text: string): unknown;
}

/** The text currently shown per stream (a process has one stderr, but tests bring their own). */
const shown = new WeakMap<LineSink, string>();

export function showLiveLine(stream: LineSink, text: string): void {
  stream.write(`${ERASE_LINE}${text}`);
  shown.set(stream, text);
}

export function clearLiveLine(stream: LineSink): void {
  if (!shown.has(stream)) return;
  stream.write(ERASE_LINE);
  shown.delete(stream);
}

/** Writes whole lines above the live line, if one is shown; `text` ends with a newline. */
export function writeAboveLiveLine(stream: LineSink, text: string): void {
  const live = shown.get(stream);
  stream.write(live === undefined ? text : `${ERASE_LINE}${text}${live}`);
}
