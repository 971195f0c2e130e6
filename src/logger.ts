/**
 * pino, with every secret kept out: known object paths are censored by `redact`, and the final
 * line is scrubbed by the redactor (pino's `redact` cannot look inside strings, such as an error
 * message or a URL).
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import type { Redactor } from './redact.js';

export type { Logger } from 'pino';

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
}): Logger {
  const { redactor } = options;
  return pino(
    {
      name: options.name ?? 'timetap-sync',
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      hooks: { streamWrite: (line) => redactor.scrub(line) },
    },
    options.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}
