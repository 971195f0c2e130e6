/**
 * A small error hierarchy. Every error says whether trying again can help (`retryable`), so that
 * the per-request layer (p-retry) and the per-job layer (BullMQ attempts) can decide without
 * parsing messages. Messages never contain secrets or URLs with query strings.
 */
export class SyncError extends Error {
  readonly retryable: boolean;
  /** The dependency the error came from, when it is one: read by errorOrigin (error-origin.ts). */
  readonly origin: ErrorOrigin | undefined = undefined;
  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable;
  }
}

/** The services a command depends on: an error names the one it came from. */
export type ErrorOrigin = 'timetap' | 'postgres' | 'redis';

/**
 * An error of a TimeTap request or of what TimeTap answered. Whatever its cause holds (a refused
 * connection, an unknown host), it is about TimeTap: never Postgres's or Redis's.
 */
class TimeTapError extends SyncError {
  override readonly origin: ErrorOrigin | undefined = 'timetap';
}

/** Bad configuration or usage: the program stops with exit code 2. */
export class ConfigError extends SyncError {
  constructor(message: string) {
    super(message, { retryable: false });
  }
}

/** TimeTap refused the key pair: no retry can help, a human must fix the keys. */
export class AuthError extends TimeTapError {
  constructor(message = AUTH_FAILURE_MESSAGE) {
    super(message, { retryable: false });
  }
}

export const AUTH_FAILURE_MESSAGE =
  'TimeTap rejected the API key/private key: check TIMETAP_API_KEY and TIMETAP_PRIVATE_KEY, ' +
  'and that API access is enabled for the account';

/**
 * The message of an AuthError. An account of TIMETAP_ACCOUNTS_FILE is named, and its keys are in
 * the file (beside which the TIMETAP_* keys must be unset): with several accounts in one queue, a
 * failure that named neither would not say whose keys to fix.
 */
export function authFailureMessage(account: string | undefined): string {
  if (account === undefined) return AUTH_FAILURE_MESSAGE;
  return (
    `TimeTap rejected the API key/private key of account "${account}": check its keys in ` +
    'TIMETAP_ACCOUNTS_FILE, and that API access is enabled for the account'
  );
}

/** An HTTP answer from TimeTap that is not a success. `path` never includes the query string. */
export class TimeTapHttpError extends TimeTapError {
  readonly status: number;
  readonly path: string;
  readonly retryAfterMs: number | undefined;
  constructor(status: number, path: string, options: { retryable: boolean; retryAfterMs?: number }) {
    super(`TimeTap answered ${status} for ${path}`, { retryable: options.retryable });
    this.status = status;
    this.path = path;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * 404. On a single object's own URL it means the object is gone; on a list it proves nothing by
 * itself (TimeTap does not document what an empty or unknown filter answers): the walk confirms
 * through the object's own URL.
 */
export class NotFoundError extends TimeTapHttpError {
  constructor(path: string) {
    super(404, path, { retryable: false });
  }
}

/**
 * TimeTap logged us in but kept answering 401 to one call on fresh sessions: not a sign of wrong
 * keys (only `/sessionToken` refusing them is), but of an API user that may not read this data.
 * It fails the call's scope (a location), not the run.
 */
export class SessionRefusedError extends TimeTapHttpError {
  constructor(endpoint: string, path: string) {
    super(401, path, { retryable: false });
    this.message =
      `TimeTap accepted the keys but refused the session for ${endpoint}: ` +
      'the API user may lack access to it';
  }
}

/**
 * The session breaker is open: most recent calls were refused although the keys were accepted, so
 * the run stops instead of hammering TimeTap with logins (session-breaker.ts).
 */
export class SessionBreakerOpenError extends TimeTapError {
  constructor(refused: number, recent: number) {
    super(
      `TimeTap accepted the keys but refused the session for ${refused} of the last ${recent} calls: ` +
        'the API user may lack access to the data; stopped early',
      { retryable: false },
    );
  }
}

/** A location sync for an id whose own URL answers 404: a mistake to report, not a run. */
export class UnknownLocationError extends TimeTapError {
  readonly locationId: number;
  constructor(locationId: number) {
    super(
      `TimeTap has no location ${locationId} (GET /locations/${locationId} answered 404); nothing was written`,
      {
        retryable: false,
      },
    );
    this.locationId = locationId;
  }
}

/**
 * A run of the same scope is alive (another process's, or the worker's): nothing was started. A
 * sync never waits for another: the other one brings the mirror up to date as well.
 */
export class RunActiveError extends SyncError {
  readonly activeRunId: number;
  constructor(
    request: { scope: 'full' } | { scope: 'location'; locationId: number } | { scope: 'backfill' },
    activeRunId: number,
  ) {
    const what =
      request.scope === 'full'
        ? 'a full sync'
        : request.scope === 'backfill'
          ? 'a backfill'
          : `a sync of location ${request.locationId}`;
    super(
      `${what} is already running (run ${activeRunId}); nothing was started: try again when it has finished`,
      {
        retryable: false,
      },
    );
    this.activeRunId = activeRunId;
  }
}

/** A body that is not what the endpoint promises (HTML, truncated JSON, not an array). */
export class MalformedResponseError extends TimeTapError {
  readonly path: string;
  constructor(path: string, why: string, options: { retryable: boolean }) {
    super(`TimeTap sent a malformed body for ${path}: ${why}`, options);
    this.path = path;
  }
}

/**
 * A list (or one read of a range of appointments) that still sent full pages at its page limit
 * (TIMETAP_MAX_PAGES): a list that never ends is broken, and reading it on would only fill the
 * memory. Reading it again would end the same way.
 */
export class PageLimitError extends TimeTapError {
  readonly list: string;
  constructor(list: string, maxPages: number) {
    super(
      `${list}: still full pages after ${maxPages} pages (TIMETAP_MAX_PAGES); ` +
        'the list was not read to its end, so nothing it omits was marked deleted',
      { retryable: false },
    );
    this.list = list;
  }
}

/** Network failure, timeout or abort before an answer arrived. */
export class NetworkError extends TimeTapError {
  readonly path: string;
  constructor(path: string, why: string, options: { retryable: boolean; cause?: unknown }) {
    super(`Request to TimeTap ${path} failed: ${why}`, options);
    this.path = path;
  }
}

/**
 * A command that was sent but whose answer did not come in time (a service that accepts
 * connections and then hangs): it may still be carried out once the service answers, so an answer
 * to the caller must not say that nothing happened.
 */
export function isUnconfirmed(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { unconfirmed?: unknown }).unconfirmed === true
  );
}

export function isRetryable(error: unknown): boolean {
  return error instanceof SyncError ? error.retryable : false;
}

/** One line for a log or a sync_runs.error column; never a stack, never a secret-bearing URL. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
