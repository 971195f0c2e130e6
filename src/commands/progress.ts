/**
 * A single progress line on a terminal (rewritten in place), silent when the stream is not a TTY
 * so that logs and pipes stay clean. Log lines written meanwhile go above it (live-line.ts), so
 * it stays one line.
 */
import { clearLiveLine, showLiveLine } from '../live-line.js';

export interface ProgressLine {
  update(text: string): void;
  done(): void;
}

export function createProgressLine(
  stream: NodeJS.WriteStream,
  enabled = stream.isTTY === true,
): ProgressLine {
  let last = 0;
  return {
    update(text) {
      if (!enabled) return;
      const now = Date.now();
      if (now - last < 100) return; // a terminal need not redraw more than ten times a second
      last = now;
      // Wider than the terminal, the line would wrap, and `\r` would rewrite only its last part.
      const width = stream.columns;
      showLiveLine(stream, width && text.length >= width ? `${text.slice(0, width - 2)}…` : text);
    },
    done() {
      clearLiveLine(stream);
    },
  };
}
