/**
 * pino, with every secret kept out: known object paths are censored by `redact`, and the final
 * line is scrubbed by the redactor (pino's `redact` cannot look inside strings, such as an error
 * message or a URL).
 *
 * Two formats. JSON lines are for log collectors: the worker's default, and every command's when
 * stderr is not a terminal. Human lines (`warn: retrying TimeTap request (path=/staff ...)`) are
 * for a person at a terminal running a one-shot command, whose own output (a progress line, a
 * summary) JSON lines would bury; they are written above the progress line (live-line.ts).
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import { ConfigError } from './errors.js';
import { writeAboveLiveLine } from './live-line.js';
import type { Redactor } from './redact.js';

export type { Logger } from 'pino';

export type LogFormat = 'json' | 'human';
/** The LOG_FORMAT variable: `auto` picks by command and terminal (chooseLogOutput). */
export type LogFormatSetting = 'auto' | 'json' | 'pretty';

const REDACT_PATHS = [
  'apiKey',
  'privateKey',
  'signature',
  'sessionToken',
  'token',
  'authorization',
  '*.apiKey',
  '*.privateKey',
  '*.signature',
  '*.sessionToken',
  '*.token',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
];

export function createLogger(options: {
  level: string;
  redactor: Redactor;
  destination?: DestinationStream;
  name?: string;
  format?: LogFormat;
}): Logger {
  const { redactor } = options;
  const format = options.format ?? 'json';
  return pino(
    {
      name: options.name ?? 'timetap-sync',
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      hooks: { streamWrite: (line) => redactor.scrub(line) },
    },
    format === 'human'
      ? humanDestination(options.destination)
      : (options.destination ?? pino.destination({ dest: 2, sync: true })),
  );
}

export function parseLogFormat(value: string | undefined): LogFormatSetting {
  const setting = value === undefined || value === '' ? 'auto' : value;
  switch (setting) {
    case 'auto':
    case 'json':
    case 'pretty':
      return setting;
    default:
      throw new ConfigError(
        'Invalid configuration (1 variable):\n  LOG_FORMAT must be one of auto, json, pretty\n' +
          'See .env.example for every variable and its meaning.',
      );
  }
}

/**
 * The format and level a command logs with. `auto` gives JSON to the worker and to anything whose
 * stderr is not a terminal; a one-shot command on a terminal gets human lines, and only warnings
 * and errors at the default level (its info lines say what its own output says again), unless
 * LOG_LEVEL asks for debug or trace. An explicit `json` or `pretty` keeps LOG_LEVEL as it is.
 */
export function chooseLogOutput(options: {
  setting: LogFormatSetting;
  level: string;
  oneShot: boolean;
  terminal: boolean;
}): { format: LogFormat; level: string } {
  const { setting, level } = options;
  switch (setting) {
    case 'json':
      return { format: 'json', level };
    case 'pretty':
      return { format: 'human', level };
    case 'auto':
      if (!options.oneShot || !options.terminal) return { format: 'json', level };
      return { format: 'human', level: level === 'info' ? 'warn' : level };
    default: {
      const unreachable: never = setting;
      throw new Error(`unknown log format ${String(unreachable)}`);
    }
  }
}

/** pino hands over each JSON line (already scrubbed); a person reads it as one short line. */
function humanDestination(destination: DestinationStream | undefined): DestinationStream {
  return {
    write(line: string) {
      writeAboveLiveLine(destination ?? process.stderr, `${formatHumanLine(line)}\n`);
    },
  };
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};
/** Fields every line has, which a person at the terminal does not need. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg']);

export function formatHumanLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.trimEnd();
  }
  const level = LEVEL_NAMES[Number(record.level)] ?? String(record.level);
  const fields = Object.entries(record)
    .filter(([key, value]) => !HIDDEN.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${formatValue(key, value)}`);
  const message = typeof record.msg === 'string' ? record.msg : '';
  return `${level}: ${message}${fields.length > 0 ? ` (${fields.join(' ')})` : ''}`;
}

function formatValue(key: string, value: unknown): string {
  // An error object is told by its message; its stack belongs to the JSON logs.
  if (key === 'err' && typeof value === 'object' && value !== null && 'message' in value) {
    return JSON.stringify(String((value as { message: unknown }).message));
  }
  if (typeof value === 'string') return /^[^\s"=()]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}
