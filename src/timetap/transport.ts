/**
 * How the client talks to TimeTap: every exchange inside a slot of the one limiter (the login
 * included), the login with its signature, the session token and what a 401 means
 * (authorized.ts), the per-request retries (retrying.ts), and answers turned into typed errors.
 * The API client (api.ts) builds its endpoints on `getJson`.
 *
 * Terminology: an *exchange* is one HTTP request/answer; a *call* is a method of the client, which
 * may take several exchanges (a re-login after a 401, retries).
 */
import type { TimeTapConfig } from '../config.js';
import {
  AuthError,
  authFailureMessage,
  MalformedResponseError,
  NotFoundError,
  TimeTapHttpError,
} from '../errors.js';
import type { Logger } from '../logger.js';
import type { Redactor } from '../redact.js';
import { aimdSettings } from './aimd.js';
import { createAuthorizedExchange } from './authorized.js';
import {
  BodyTooLargeError,
  ExchangeError,
  exchange,
  extractSessionToken,
  type HttpAnswer,
  parseJsonBody,
} from './http.js';
import { createLocalLimiter, type LimiterSlot, type RequestLimiter } from './limiter.js';
import { classifyResponse, parseRetryAfter } from './retry-policy.js';
import { type BackoffOptions, createRetrying, type Retrying, type RetryOptions } from './retrying.js';
import { createMemorySessionStore, type SessionStore } from './session.js';
import { createSessionGuard, type SessionGuard } from './session-guard.js';
import { computeSignature } from './signature.js';
import { createStatsRecorder, type StatsRecorder } from './stats.js';

export interface TransportDeps {
  config: TimeTapConfig;
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

export interface Transport {
  /** The JSON body of one data call (`path` with its query of ids), retried as the policy says. */
  getJson(endpoint: string, path: string, options?: RetryOptions): Promise<unknown>;
  /** Retries `attempt` under the same policy (for a caller that inspects the body itself). */
  retrying: Retrying;
  /** Forces a login (used by `check`). */
  login(): Promise<void>;
  stats: StatsRecorder;
  logger: Logger;
}

const LOGIN_PATH = '/sessionToken';

export function createTransport(deps: TransportDeps): Transport {
  const { config, redactor, signal } = deps;
  const logger = deps.logger.child({ component: 'timetap' });
  redactor.add(config.apiKey);
  redactor.add(config.privateKey);
  const signature = computeSignature(config.apiKey, config.privateKey);
  redactor.add(signature);

  const guard = deps.sessionGuard ?? createSessionGuard(deps.sessionStore ?? createMemorySessionStore());
  const { store } = guard;
  const limiter =
    deps.limiter ??
    createLocalLimiter({
      maxRps: config.maxRps,
      maxConcurrency: config.maxConcurrency,
      ...(config.adaptiveRate
        ? { adaptive: aimdSettings({ initialRps: config.maxRps, ...config.adaptiveRate }) }
        : {}),
    });
  const doFetch = deps.fetch ?? globalThis.fetch;
  const stats = createStatsRecorder();
  const retrying = createRetrying({ config, logger, stats, signal, backoff: deps.backoff });
  let hadToken = false;

  /**
   * One exchange, once a limiter slot is ours; `token` undefined for the login. Its answer teaches
   * the slot's limiter the rate: only a 429 says "too fast" (a 5xx says the server is ill).
   */
  async function exchangeNow(
    slot: LimiterSlot,
    endpoint: string,
    path: string,
    url: string,
    token: string | undefined,
  ) {
    redactor.add(token);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const sentAt = performance.now();
    stats.sent(Date.now());
    let status = 'network';
    try {
      const answer = await exchange({
        fetch: doFetch,
        url,
        path,
        headers,
        timeoutMs: config.timeoutMs,
        shutdown: signal,
        ...(config.maxBodyBytes === undefined ? {} : { maxBodyBytes: config.maxBodyBytes }),
      });
      status = String(answer.status);
      if (answer.status === 429) slot.throttled(retryAfterOf(answer));
      else if (classifyResponse(answer.status) === 'ok') slot.succeeded();
      return { answer, token: token ?? '', sentAt, answeredAt: performance.now() };
    } catch (error) {
      if (error instanceof ExchangeError) status = error.label;
      else if (error instanceof BodyTooLargeError) status = 'too-large';
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
  function inSlot<T>(fn: (slot: LimiterSlot) => Promise<T>): Promise<T> {
    const queuedAt = performance.now();
    return limiter.run(async (slot) => {
      stats.limiterWait(performance.now() - queuedAt);
      return fn(slot);
    }, signal);
  }

  /** How long TimeTap asks us to wait, capped (retry-policy.ts). */
  function retryAfterOf(answer: HttpAnswer): number | undefined {
    return parseRetryAfter(answer.headers.get('retry-after'), Date.now(), config.retryAfterCapMs);
  }

  function statusError(answer: HttpAnswer, path: string): Error {
    const kind = classifyResponse(answer.status);
    switch (kind) {
      case 'not-found':
        return new NotFoundError(path);
      case 'transient': {
        const retryAfterMs = retryAfterOf(answer);
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
    const { answer } = await inSlot((slot) =>
      exchangeNow(slot, `GET ${LOGIN_PATH}`, LOGIN_PATH, url, undefined),
    );
    // 401/403 from the login itself: the keys are wrong, no retry can help.
    if (answer.status === 401 || answer.status === 403)
      throw new AuthError(authFailureMessage(config.accountInFile));
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
      inSlot(async (slot) => {
        const token = await authorize();
        return token === undefined ? undefined : exchangeNow(slot, endpoint, path, url, token);
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

  async function fetchJson(endpoint: string, path: string, options?: RetryOptions): Promise<unknown> {
    return retrying(
      path,
      async () => {
        const answer = await authorizedOk(endpoint, path, `${config.baseUrl}${path}`);
        return parseJsonBody(answer.body, path);
      },
      options,
    );
  }

  return {
    getJson: fetchJson,
    retrying,
    async login() {
      await retrying(LOGIN_PATH, async () => {
        const current = await store.get();
        await store.refresh(current, loginOnce);
      });
    },
    stats,
    logger,
  };
}
