/**
 * One HTTP exchange with TimeTap: the per-request timeout (which also covers reading the body,
 * since a server may stall half-way through it), the shutdown signal, and the wrapping of fetch's
 * failures into typed errors. `path` is what messages show: never a query string with secrets.
 *
 * Two bounds on what TimeTap (or whatever answers in its name) can make us do:
 * - no redirect is followed: the login's query carries the API key and a signature that never
 *   changes, and a 302 would hand both to another host (and a data call's token with them);
 * - the body is read as a stream and given up past `maxBodyBytes`, before it is held whole.
 */
import { MalformedResponseError, NetworkError } from '../errors.js';
import { decodeBody, latin1Body, parseJsonText } from './json-body.js';

/** TIMETAP_MAX_BODY_BYTES's default: far above any page TimeTap sends, far below the heap. */
const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** The body's bytes for 2xx answers; empty otherwise (the body is discarded). */
  body: Buffer;
}

/** Why an exchange produced no answer: the label used in call statistics. */
export type FailureLabel = 'timeout' | 'network' | 'aborted' | 'redirect';

export class ExchangeError extends NetworkError {
  readonly label: FailureLabel;
  constructor(path: string, label: FailureLabel, why: string, cause: unknown) {
    // A shutdown abort and a redirect are final; a timeout or a network failure may go away.
    super(path, why, { retryable: label !== 'aborted' && label !== 'redirect', cause });
    this.label = label;
  }
}

const REDIRECT_REFUSED =
  'answered with a redirect, which is never followed (it would carry the key or the session ' +
  'elsewhere): point TIMETAP_BASE_URL at where TimeTap really answers';

/** A body past TIMETAP_MAX_BODY_BYTES: read no further, and not retried (it would be as large). */
export class BodyTooLargeError extends MalformedResponseError {
  constructor(path: string, maxBytes: number) {
    super(path, `body too large (more than ${maxBytes} bytes, TIMETAP_MAX_BODY_BYTES)`, {
      retryable: false,
    });
  }
}

export async function exchange(options: {
  fetch: typeof fetch;
  url: string;
  path: string;
  headers: Record<string, string>;
  timeoutMs: number;
  shutdown: AbortSignal | undefined;
  maxBodyBytes?: number;
}): Promise<HttpAnswer> {
  // One controller, aborted by a timer of our own or by the shutdown, and held by that timer until
  // the exchange ends. Not AbortSignal.timeout combined by AbortSignal.any: Node holds both of
  // those weakly (nodejs/node#57736), and a deadline must not depend on what the garbage collector
  // happens to keep.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  const onShutdown = (): void => controller.abort();
  options.shutdown?.addEventListener('abort', onShutdown, { once: true });
  if (options.shutdown?.aborted) controller.abort();
  try {
    return await exchangeWithin(options, controller.signal, () => timedOut);
  } finally {
    clearTimeout(timer);
    options.shutdown?.removeEventListener('abort', onShutdown);
  }
}

async function exchangeWithin(
  options: Parameters<typeof exchange>[0],
  signal: AbortSignal,
  timedOut: () => boolean,
): Promise<HttpAnswer> {
  const fail = (error: unknown, stage: string): ExchangeError => {
    if (options.shutdown?.aborted) {
      return new ExchangeError(options.path, 'aborted', `aborted by shutdown ${stage}`, error);
    }
    if (timedOut()) {
      return new ExchangeError(
        options.path,
        'timeout',
        `timed out after ${options.timeoutMs} ms ${stage}`,
        error,
      );
    }
    if (isRedirectRefusal(error)) return new ExchangeError(options.path, 'redirect', REDIRECT_REFUSED, error);
    return new ExchangeError(options.path, 'network', `${describeCause(error)} ${stage}`, error);
  };

  let response: Response;
  try {
    response = await options.fetch(options.url, {
      method: 'GET',
      headers: options.headers,
      signal,
      redirect: 'error',
    });
  } catch (error) {
    throw fail(error, 'before the answer');
  }
  if (response.status >= 300 && response.status <= 399) {
    // A fetch that hands redirects back rather than refusing them (an injected one): the same.
    await response.body?.cancel().catch(() => undefined);
    throw new ExchangeError(options.path, 'redirect', REDIRECT_REFUSED, undefined);
  }
  if (response.status < 200 || response.status > 299) {
    // Free the connection; the body of an error answer is of no use to us.
    await response.body?.cancel().catch(() => undefined);
    return { status: response.status, headers: response.headers, body: Buffer.alloc(0) };
  }
  try {
    const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const body = await readBounded(response, options.path, maxBytes, signal);
    return { status: response.status, headers: response.headers, body };
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw error;
    const failure = fail(error, 'while reading the body');
    // The answer arrived but its body was cut short (the server closed before Content-Length):
    // that is a truncated body, bounded like other malformed ones, not a plain network failure.
    if (failure.label === 'network')
      throw new MalformedResponseError(options.path, 'body cut short', { retryable: true });
    throw failure;
  }
}

/**
 * The body as text, read chunk by chunk and given up (the rest unread, the connection closed) as
 * soon as it passes `maxBytes`: a 400 MB answer must not be held whole before anyone looks at it.
 * A Content-Length past the bound is refused before a byte is read.
 */
async function readBounded(
  response: Response,
  path: string,
  maxBytes: number,
  signal: AbortSignal,
): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new BodyTooLargeError(path, maxBytes);
  }
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  // The abort reaches the body here, not only through fetch: undici ties the body to the signal
  // through its Request object, which it holds weakly once fetch has answered, so that after a
  // garbage collection a stalled body would wait forever (nodejs/node#55428). Cancelling the
  // reader ends a pending read and closes the connection.
  const cancel = (): void => void reader.cancel().catch(() => undefined);
  signal.addEventListener('abort', cancel, { once: true });
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const { done, value } = await reader.read();
      if (signal.aborted) throw signal.reason;
      if (done) break;
      bytes += value.byteLength;
      if (bytes > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new BodyTooLargeError(path, maxBytes);
      }
      chunks.push(value);
    }
  } finally {
    signal.removeEventListener('abort', cancel);
  }
  return Buffer.concat(chunks, bytes);
}

/** undici's refusal of a 3xx under `redirect: 'error'` ("unexpected redirect", in its cause). */
function isRedirectRefusal(error: unknown): boolean {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  return cause !== undefined && /\bredirect\b/i.test(cause.message);
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
 * Parses a JSON body, its text or its UTF-8 bytes (json-body.ts). TimeTap behind a proxy
 * sometimes answers 200 with an HTML page, or a body cut short; both deserve a retry, so the
 * error is retryable (the caller bounds how often).
 */
export function parseJsonBody(body: string | Uint8Array, path: string): unknown {
  let text: string;
  if (typeof body === 'string') text = body;
  else {
    const read = latin1Body(body);
    try {
      return parseJsonText(read, body);
    } catch {
      // Not JSON on the fast reading: the text as decoded says why (an ASCII body reads the same).
      text = read.highBytes ? decodeBody(body) : read.text;
    }
  }
  const trimmed = text.trim();
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
export function extractSessionToken(bytes: string | Uint8Array, path: string): string {
  const body = typeof bytes === 'string' ? bytes : decodeBody(bytes);
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
