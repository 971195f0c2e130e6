/**
 * The TimeTap client: login and session token, one limiter for every request, retries, and
 * validated lists. It knows no database, queue or simulator; the walk calls it.
 *
 * Terminology: an *exchange* is one HTTP request/answer; a *call* is a method of the client, which
 * may take several exchanges (a re-login after a 401, retries).
 */
import type { Config } from '../config.js';
import { AuthError, MalformedResponseError, NotFoundError, TimeTapHttpError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Redactor } from '../redact.js';
import { createAuthorizedExchange } from './authorized.js';
import { ExchangeError, exchange, extractSessionToken, type HttpAnswer, parseJsonBody } from './http.js';
import { createLocalLimiter, type RequestLimiter } from './limiter.js';
import { readAllPages } from './paging.js';
import { classifyResponse, parseRetryAfter } from './retry-policy.js';
import { type BackoffOptions, createRetrying } from './retrying.js';
import {
  parseLocation,
  parseService,
  parseStaff,
  type RecordParse,
  type TimeTapLocation,
  type TimeTapService,
  type TimeTapStaff,
} from './schemas.js';
import { createMemorySessionStore, type SessionStore } from './session.js';
import { createSessionGuard, type SessionGuard } from './session-guard.js';
import { computeSignature } from './signature.js';
import { type ClientStats, createStatsRecorder } from './stats.js';

export interface SkippedRecord {
  /** e.g. 'GET /staff?locationId=1003' (ids only, never a secret) */
  list: string;
  index: number;
  reason: string;
}

export interface ListResult<T> {
  items: T[];
  skipped: SkippedRecord[];
}

export interface TimeTapClient {
  listLocations(): Promise<ListResult<TimeTapLocation>>;
  /** Without an id: the account-wide `GET /staff`. */
  listStaff(locationId?: number): Promise<ListResult<TimeTapStaff>>;
  listServices(locationId?: number, staffId?: number): Promise<ListResult<TimeTapService>>;
  /** NotFoundError on 404. */
  getLocation(id: number): Promise<TimeTapLocation>;
  getStaff(id: number): Promise<TimeTapStaff>;
  getService(id: number): Promise<TimeTapService>;
  /** Forces a login (used by `check`). */
  login(): Promise<void>;
  stats(): ClientStats;
}

export interface TimeTapClientDeps {
  config: Config['timetap'];
  logger: Logger;
  redactor: Redactor;
  sessionStore?: SessionStore;
  limiter?: RequestLimiter;
  /** Shutdown: aborts queued and running requests; an abort is never retried. */
  signal?: AbortSignal;
  fetch?: typeof fetch;
  onRequest?: (e: { endpoint: string; status: string; durationMs: number }) => void;
  /** Backoff between retries; the defaults suit production, tests shorten them. */
  backoff?: BackoffOptions;
  /**
   * Shared by the clients of one process (the worker's jobs), with the session store it is bound
   * to; default: this client's own, around `sessionStore`.
   */
  sessionGuard?: SessionGuard;
  /** The pause before a 401 is read, given the call's round trip (authorized.ts `readingPause`). */
  replayPauseMs?: (roundTripMs: number) => number;
}

const LOGIN_PATH = '/sessionToken';

export function createTimeTapClient(deps: TimeTapClientDeps): TimeTapClient {
  const { config, redactor, signal } = deps;
  const logger = deps.logger.child({ component: 'timetap' });
  redactor.add(config.apiKey);
  redactor.add(config.privateKey);
  const signature = computeSignature(config.apiKey, config.privateKey);
  redactor.add(signature);

  const guard = deps.sessionGuard ?? createSessionGuard(deps.sessionStore ?? createMemorySessionStore());
  const { store } = guard;
  const limiter =
    deps.limiter ?? createLocalLimiter({ maxRps: config.maxRps, maxConcurrency: config.maxConcurrency });
  const doFetch = deps.fetch ?? globalThis.fetch;
  const stats = createStatsRecorder();
  const retrying = createRetrying({ config, logger, stats, signal, backoff: deps.backoff });
  let hadToken = false;

  /** One exchange, once a limiter slot is ours; `token` undefined for the login. */
  async function exchangeNow(endpoint: string, path: string, url: string, token: string | undefined) {
    redactor.add(token);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const sentAt = performance.now();
    let status = 'network';
    try {
      const answer = await exchange({
        fetch: doFetch,
        url,
        path,
        headers,
        timeoutMs: config.timeoutMs,
        shutdown: signal,
      });
      status = String(answer.status);
      return { answer, token: token ?? '', sentAt, answeredAt: performance.now() };
    } catch (error) {
      if (error instanceof ExchangeError) status = error.label;
      else if (error instanceof MalformedResponseError) status = 'truncated';
      throw error;
    } finally {
      const durationMs = Math.round(performance.now() - sentAt);
      stats.call(endpoint, status);
      deps.onRequest?.({ endpoint, status, durationMs });
      logger.debug({ endpoint, path, status, ms: durationMs }, 'timetap request');
    }
  }

  /** Waits for a limiter slot (the wait is counted), then runs `fn` in it. */
  function inSlot<T>(fn: () => Promise<T>): Promise<T> {
    const queuedAt = performance.now();
    return limiter.run(async () => {
      stats.limiterWait(performance.now() - queuedAt);
      return fn();
    }, signal);
  }

  function statusError(answer: HttpAnswer, path: string): Error {
    const kind = classifyResponse(answer.status);
    switch (kind) {
      case 'not-found':
        return new NotFoundError(path);
      case 'transient': {
        const retryAfterMs = parseRetryAfter(
          answer.headers.get('retry-after'),
          Date.now(),
          config.retryAfterCapMs,
        );
        return new TimeTapHttpError(answer.status, path, { retryable: true, retryAfterMs });
      }
      case 'unauthorized':
      case 'permanent':
        return new TimeTapHttpError(answer.status, path, { retryable: false });
      case 'ok':
        return new Error(`statusError called for a success (${answer.status})`);
      default: {
        const unreachable: never = kind;
        return new Error(`unknown response class ${String(unreachable)}`);
      }
    }
  }

  /** One login exchange; single-flight is the store's job. Stores the token before returning. */
  async function loginOnce(): Promise<string> {
    const timestamp = Math.floor(Date.now() / 1000);
    const url =
      `${config.baseUrl}${LOGIN_PATH}?apiKey=${encodeURIComponent(config.apiKey)}` +
      `&timestamp=${timestamp}&signature=${signature}`;
    const { answer } = await inSlot(() => exchangeNow(`GET ${LOGIN_PATH}`, LOGIN_PATH, url, undefined));
    // 401/403 from the login itself: the keys are wrong, no retry can help.
    if (answer.status === 401 || answer.status === 403) throw new AuthError();
    if (classifyResponse(answer.status) !== 'ok') throw statusError(answer, LOGIN_PATH);
    const token = extractSessionToken(answer.body, LOGIN_PATH);
    redactor.add(token);
    await store.set(token, config.sessionIdleMs);
    stats.add('logins');
    if (hadToken) stats.add('relogins');
    const relogin = hadToken;
    hadToken = true;
    logger.info({ relogin, logins: stats.snapshot().logins }, 'logged in to TimeTap');
    return token;
  }

  const authorized = createAuthorizedExchange({
    guard,
    logger,
    signal,
    // The token is chosen once the slot is ours: the session may have moved on during the wait.
    send: (endpoint, path, url, authorize) =>
      inSlot(async () => {
        const token = await authorize();
        return token === undefined ? undefined : exchangeNow(endpoint, path, url, token);
      }),
    login: loginOnce,
    sessionIdleMs: config.sessionIdleMs,
    ...(deps.replayPauseMs ? { pauseMs: deps.replayPauseMs } : {}),
  });

  /** A data call: any answer but a success becomes a typed error. */
  async function authorizedOk(endpoint: string, path: string, url: string): Promise<HttpAnswer> {
    const answer = await authorized(endpoint, path, url);
    if (classifyResponse(answer.status) !== 'ok') throw statusError(answer, path);
    return answer;
  }

  async function fetchJson(endpoint: string, path: string): Promise<unknown> {
    return retrying(path, async () => {
      const answer = await authorizedOk(endpoint, path, `${config.baseUrl}${path}`);
      return parseJsonBody(answer.body, path);
    });
  }

  /** Every page of a list (paging.ts); records without a usable id are skipped and reported. */
  async function list<T extends { id: number }>(
    endpoint: string,
    path: string,
    filter: Record<string, number | undefined>,
    parse: (input: unknown) => RecordParse<T>,
  ): Promise<ListResult<T>> {
    const result: ListResult<T> = { items: [], skipped: [] };
    const label = `GET ${withQuery(path, filter)}`;
    const pages = await readAllPages({
      pageSize: config.pageSize,
      label,
      readPage: async (pageNumber) => {
        const pagePath = withQuery(path, { ...filter, pageNumber, pageSize: config.pageSize });
        const body = await fetchJson(endpoint, pagePath);
        if (!Array.isArray(body)) {
          throw new MalformedResponseError(pagePath, `expected a JSON array, got ${describeKind(body)}`, {
            retryable: true,
          });
        }
        return body as unknown[];
      },
      accept: (input, index) => {
        const parsed = parse(input);
        if (parsed.ok) return { id: parsed.value.id, value: parsed.value };
        const skipped: SkippedRecord = { list: label, index, reason: parsed.reason };
        result.skipped.push(skipped);
        stats.add('skipped');
        logger.warn(skipped, 'skipped a TimeTap record without a usable id');
        return undefined;
      },
    });
    result.items = pages.values;
    if (pages.pages > 1) logger.debug({ list: label, pages: pages.pages }, 'read a paged list');
    return result;
  }

  async function single<T>(kind: string, id: number, parse: (input: unknown) => RecordParse<T>): Promise<T> {
    if (!Number.isInteger(id) || id <= 0) throw new RangeError(`${kind} id must be a positive integer`);
    const path = `/${kind}/${id}`;
    const parsed = parse(await fetchJson(`GET /${kind}/{id}`, path));
    if (!parsed.ok) throw new MalformedResponseError(path, parsed.reason, { retryable: false });
    return parsed.value;
  }

  return {
    listLocations: () => list('GET /locations', '/locations', {}, parseLocation),
    listStaff: (locationId) => list('GET /staff', '/staff', { locationId }, parseStaff),
    listServices: (locationId, staffId) =>
      list('GET /services', '/services', { locationId, staffId }, parseService),
    getLocation: (id) => single('locations', id, parseLocation),
    getStaff: (id) => single('staff', id, parseStaff),
    getService: (id) => single('services', id, parseService),
    async login() {
      await retrying(LOGIN_PATH, async () => {
        const current = await store.get();
        await store.refresh(current, loginOnce);
      });
    },
    stats: () => stats.snapshot(),
  };
}

/** Only non-secret ids ever go into a query string built here. */
function withQuery(path: string, ids: Record<string, number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(ids)) {
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer`);
    params.set(name, String(value));
  }
  const query = params.toString();
  return query === '' ? path : `${path}?${query}`;
}

function describeKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
