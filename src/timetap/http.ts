/**
 * One HTTP exchange with TimeTap: the per-request timeout (which also covers reading the body,
 * since a server may stall half-way through it), the shutdown signal, and the wrapping of fetch's
 * failures into typed errors. `path` is what messages show: never a query string with secrets.
 */
import { MalformedResponseError, NetworkError } from '../errors.js';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** The body text for 2xx answers; empty otherwise (the body is discarded). */
  body: string;
}

/** Why an exchange produced no answer: the label used in call statistics. */
export type FailureLabel = 'timeout' | 'network' | 'aborted';

export class ExchangeError extends NetworkError {
  readonly label: FailureLabel;
  constructor(path: string, label: FailureLabel, why: string, cause: unknown) {
    // A shutdown abort is final; a timeout or a network failure may go away.
    super(path, why, { retryable: label !== 'aborted', cause });
    this.label = label;
  }
}

export async function exchange(options: {
  fetch: typeof fetch;
  url: string;
  path: string;
  headers: Record<string, string>;
  timeoutMs: number;
  shutdown: AbortSignal | undefined;
}): Promise<HttpAnswer> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.shutdown ? AbortSignal.any([timeout, options.shutdown]) : timeout;
  const fail = (error: unknown, stage: string): ExchangeError => {
    if (options.shutdown?.aborted) {
      return new ExchangeError(options.path, 'aborted', `aborted by shutdown ${stage}`, error);
    }
    if (timeout.aborted) {
      return new ExchangeError(
        options.path,
        'timeout',
        `timed out after ${options.timeoutMs} ms ${stage}`,
        error,
      );
    }
    return new ExchangeError(options.path, 'network', `${describeCause(error)} ${stage}`, error);
  };

  let response: Response;
  try {
    response = await options.fetch(options.url, { method: 'GET', headers: options.headers, signal });
  } catch (error) {
    throw fail(error, 'before the answer');
  }
  if (response.status < 200 || response.status > 299) {
    // Free the connection; the body of an error answer is of no use to us.
    await response.body?.cancel().catch(() => undefined);
    return { status: response.status, headers: response.headers, body: '' };
  }
  try {
    const body = await response.text();
    return { status: response.status, headers: response.headers, body };
  } catch (error) {
    const failure = fail(error, 'while reading the body');
    // The answer arrived but its body was cut short (the server closed before Content-Length):
    // that is a truncated body, bounded like other malformed ones, not a plain network failure.
    if (failure.label === 'network')
      throw new MalformedResponseError(options.path, 'body cut short', { retryable: true });
    throw failure;
  }
}

/**
 * A short, secret-free description of a fetch failure (undici hides the reason in `cause`). Its
 * messages may quote the URL, and the login URL carries the key and the signature: URLs go.
 */
function describeCause(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return `network error ${code}`;
  if (cause instanceof Error) {
    const message = (cause.message.split('\n')[0] ?? '').replace(/\b[a-z][a-z0-9+.-]*:\/\/\S*/gi, '<url>');
    return `network error (${cause.name}: ${message})`;
  }
  return 'network error';
}

/**
 * Parses a JSON body. TimeTap behind a proxy sometimes answers 200 with an HTML page, or a body
 * cut short; both deserve a retry, so the error is retryable (the caller bounds how often).
 */
export function parseJsonBody(body: string, path: string): unknown {
  const trimmed = body.trim();
  if (trimmed.startsWith('<'))
    throw new MalformedResponseError(path, 'HTML instead of JSON', { retryable: true });
  try {
    return JSON.parse(trimmed);
  } catch {
    throw new MalformedResponseError(path, trimmed === '' ? 'empty body' : 'invalid or truncated JSON', {
      retryable: true,
    });
  }
}

/** The login answer: `{"sessionToken": "..."}`, a JSON string, or the bare token as plain text. */
export function extractSessionToken(body: string, path: string): string {
  const trimmed = body.trim();
  let value: unknown = trimmed;
  if (trimmed.startsWith('{') || trimmed.startsWith('"')) {
    value = parseJsonBody(trimmed, path);
    if (typeof value === 'object' && value !== null)
      value = (value as { sessionToken?: unknown }).sessionToken;
  }
  if (typeof value === 'string' && /^[^\s<>"{}]+$/.test(value.trim())) return value.trim();
  throw new MalformedResponseError(path, 'no session token in the login answer', { retryable: true });
}
