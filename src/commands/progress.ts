/**
 * A single progress line on a terminal (rewritten in place), silent when the stream is not a TTY
 * so that logs and pipes stay clean.
 */
export interface ProgressLine {
  update(text: string): void;
  done(): void;
}

export function createProgressLine(
  stream: NodeJS.WriteStream,
  enabled = stream.isTTY === true,
): ProgressLine {
  let shown = false;
  let last = 0;
  return {
    update(text) {
      if (!enabled) return;
      const now = Date.now();
      if (now - last < 100) return; // a terminal need not redraw more than ten times a second
      last = now;
      stream.write(`\r\x1b[2K${text}`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
