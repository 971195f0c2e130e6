/**
 * Logs a person can read: which format and level a command logs with (LOG_FORMAT, a terminal or
 * not, one-shot or the worker), what a human line looks like, and that log lines written while a
 * progress line is shown go above it, so that the progress line stays one line.
 */
import { describe, expect, it } from 'vitest';
import { createProgressLine } from '../../src/commands/progress.js';
import { ConfigError } from '../../src/errors.js';
import { chooseLogOutput, createLogger, formatHumanLine, parseLogFormat } from '../../src/logger.js';
import { createRedactor } from '../../src/redact.js';

const ERASE = '\r\u001b[2K';

/** A terminal as a person sees it: `\r` and ESC[2K erase the current line, `\n` starts a new one. */
function fakeTerminal() {
  const screen: string[] = [''];
  const raw: string[] = [];
  const stream = {
    isTTY: true,
    columns: 100,
    write(text: string) {
      raw.push(text);
      for (const part of text.split(new RegExp(`(${ERASE.replace('[', '\\[')}|\n)`))) {
        if (part === ERASE) screen[screen.length - 1] = '';
        else if (part === '\n') screen.push('');
        else screen[screen.length - 1] += part;
      }
      return true;
    },
  };
  return { stream: stream as unknown as NodeJS.WriteStream & { write(text: string): boolean }, screen, raw };
}

describe('chooseLogOutput', () => {
  it('auto: JSON for the worker and for anything not on a terminal', () => {
    expect(chooseLogOutput({ setting: 'auto', level: 'info', oneShot: false, terminal: true })).toEqual({
      format: 'json',
      level: 'info',
    });
    expect(chooseLogOutput({ setting: 'auto', level: 'info', oneShot: true, terminal: false })).toEqual({
      format: 'json',
      level: 'info',
    });
  });

  it('auto, a one-shot command on a terminal: human lines, warnings and errors unless debug is asked for', () => {
    const terminal = (level: string) =>
      chooseLogOutput({ setting: 'auto', level, oneShot: true, terminal: true });
    expect(terminal('info')).toEqual({ format: 'human', level: 'warn' });
    expect(terminal('debug')).toEqual({ format: 'human', level: 'debug' });
    expect(terminal('error')).toEqual({ format: 'human', level: 'error' });
  });

  it('json and pretty are obeyed as asked, with LOG_LEVEL as it is', () => {
    expect(chooseLogOutput({ setting: 'json', level: 'info', oneShot: true, terminal: true })).toEqual({
      format: 'json',
      level: 'info',
    });
    expect(chooseLogOutput({ setting: 'pretty', level: 'info', oneShot: false, terminal: false })).toEqual({
      format: 'human',
      level: 'info',
    });
  });

  it('parseLogFormat: unset is auto; anything else but auto, json, pretty is a configuration error', () => {
    expect(parseLogFormat(undefined)).toBe('auto');
    expect(parseLogFormat('')).toBe('auto');
    expect(parseLogFormat('pretty')).toBe('pretty');
    expect(() => parseLogFormat('yaml')).toThrow(ConfigError);
    expect(() => parseLogFormat('yaml')).toThrow(/LOG_FORMAT must be one of auto, json, pretty/);
  });
});

describe('human log lines', () => {
  it('are one short line: level, message, the fields that matter; no pid, host or time', () => {
    const line = JSON.stringify({
      level: 40,
      time: 1,
      pid: 2,
      hostname: 'vm',
      name: 'timetap-sync',
      component: 'timetap',
      path: '/staff',
      why: 'TimeTap answered 503 for /staff',
      err: { message: 'boom', stack: 'Error: boom\n    at x.ts:1' },
      msg: 'retrying TimeTap request',
    });
    expect(formatHumanLine(line)).toBe(
      'warn: retrying TimeTap request (component=timetap path=/staff why="TimeTap answered 503 for /staff" err="boom")',
    );
  });

  it('go above the progress line, which stays one line, and never carry a secret', () => {
    const terminal = fakeTerminal();
    const secret = 'private-key-that-must-not-show-0123';
    const logger = createLogger({
      level: 'warn',
      format: 'human',
      redactor: createRedactor([secret]),
      destination: terminal.stream,
    });
    const progress = createProgressLine(terminal.stream);
    progress.update('syncing: 2/8 locations');
    logger.warn({ path: '/staff' }, `retrying with ${secret}`);
    logger.info('not shown at warn');
    expect(terminal.screen).toEqual([
      'warn: retrying with [REDACTED] (path=/staff)',
      'syncing: 2/8 locations',
    ]);
    progress.done();
    logger.error('after the progress line');
    expect(terminal.screen).toEqual([
      'warn: retrying with [REDACTED] (path=/staff)',
      'error: after the progress line',
      '',
    ]);
    expect(terminal.raw.join('')).not.toContain(secret);
  });
});
