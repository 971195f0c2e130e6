/**
 * One voice per dependency for its outages. While Redis is down every reconnection attempt, every
 * BullMQ loop and every blocked command reports an error, through several listeners (the
 * connection's, the queue's, the worker's): logged one by one, a 30-minute outage filled the log
 * with hundreds of lines that say nothing new. Every such listener reports here instead; this
 * logs the loss once, a reminder at most once per `repeatMs` while it lasts (with how many
 * failures it swallowed), and the return once, with how long the dependency was gone.
 */
import type { Logger } from './logger.js';
import type { Redactor } from './redact.js';

const OUTAGE_REPEAT_MS = 60_000;

export interface OutageLog {
  /** A failure that says the dependency is unreachable; `reason` is a short text (no secrets). */
  lost(reason: string): void;
  /** The dependency answered again; logged only if it had been lost. */
  restored(): void;
  isDown(): boolean;
}

export interface OutageLogOptions {
  logger: Logger;
  /** How the README names it: `redis`, `database`. */
  dependency: string;
  /** Where it is (host:port), never a password. */
  where?: string;
  repeatMs?: number;
  now?: () => number;
}

export function createOutageLog(options: OutageLogOptions): OutageLog {
  const { logger, dependency, where } = options;
  const repeatMs = options.repeatMs ?? OUTAGE_REPEAT_MS;
  const now = options.now ?? Date.now;
  let downSince: number | undefined;
  let lastLoggedAt = 0;
  /** Failures since the last line. */
  let failures = 0;
  const fields = (extra: Record<string, unknown>) => ({ dependency, ...(where ? { where } : {}), ...extra });
  const seconds = (ms: number) => Math.round(ms / 1000);

  return {
    lost(reason) {
      const time = now();
      failures += 1;
      if (downSince === undefined) {
        downSince = time;
        lastLoggedAt = time;
        failures = 0;
        logger.warn(fields({ reason }), `${dependency} unreachable`);
        return;
      }
      if (time - lastLoggedAt < repeatMs) return;
      lastLoggedAt = time;
      logger.warn(
        fields({ reason, downForS: seconds(time - downSince), failures }),
        `${dependency} still unreachable`,
      );
      failures = 0;
    },
    restored() {
      if (downSince === undefined) return;
      const time = now();
      logger.info(fields({ downForS: seconds(time - downSince), failures }), `${dependency} reachable again`);
      downSince = undefined;
      failures = 0;
    },
    isDown: () => downSince !== undefined,
  };
}

/** For connections whose failures the caller reports itself (one-shot commands). */
export const SILENT_OUTAGE_LOG: OutageLog = {
  lost() {},
  restored() {},
  isDown: () => false,
};

/**
 * An 'error' listener for a client of the dependency (a BullMQ queue or worker): while the
 * dependency is down (`isUp`, asked of the connection that reports its loss and return), every
 * error goes to the outage log, since an outage makes every loop and every command fail; other
 * errors are logged as they come, scrubbed. Asking the connection rather than sorting errors by
 * their text means an outage can never be "stuck" without a connection to end it.
 */
export function createErrorListener(options: {
  outages: OutageLog;
  isUp: () => boolean;
  logger: Logger;
  redactor: Redactor;
  /** Names the listener's owner in the log line: `queue`, `worker`. */
  source: string;
}): (error: Error) => void {
  const { outages, isUp, logger, redactor, source } = options;
  return (error) => {
    const text = redactor.scrub(error instanceof Error ? error.message : String(error));
    // A socket error may arrive before the connection says it is down: it is the outage too.
    if (!isUp() || isConnectionError(error)) outages.lost(text);
    else logger.warn({ err: text }, `${source} error`);
  };
}

const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  const message = error instanceof Error ? error.message : String(error);
  return /\b(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT)\b|Connection is closed/.test(message);
}
