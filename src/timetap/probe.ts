/**
 * The client as `doctor` uses it: the usual client, plus raw reads of documented endpoints
 * through the same session and budget, and what the exchanges showed that the client itself does
 * not keep (a status's content type, whether a 429 carried Retry-After, the shape of the session
 * token). Nothing here records a value: paths without their query, statuses, booleans, shapes.
 */
import { createTimeTapApi, isLargePageFailure, type TimeTapApi, type TimeTapApiDeps } from './api.js';
import { createMemorySessionStore, type SessionStore } from './session.js';
import { createTransport } from './transport.js';

export interface Exchange {
  /** The path without its query (the login's query holds the keys). */
  path: string;
  status: number;
  /** The answer's content type, without parameters (`text/html`). */
  contentType: string;
  retryAfter: boolean;
}

export interface TimeTapProbe {
  api: TimeTapApi;
  /** The JSON body of `path` (query included), retried as any call, a large page's failure excepted. */
  getJson(path: string): Promise<unknown>;
  /** `path` with a session token that cannot be valid: the status and content type only. */
  unauthorized(path: string): Promise<Exchange>;
  /** Every exchange so far, the login's included. */
  exchanges(): Exchange[];
  /** How the last session token was spelt, as a shape (`st:api:api:<32 hex>`); never the token. */
  tokenShape(): string | undefined;
}

export function createTimeTapProbe(deps: TimeTapApiDeps): TimeTapProbe {
  const seen: Exchange[] = [];
  const doFetch = deps.fetch ?? globalThis.fetch;
  const observing: typeof fetch = async (input, init) => {
    const response = await doFetch(input, init);
    seen.push(exchangeOf(String(input instanceof Request ? input.url : input), response));
    return response;
  };
  let shape: string | undefined;
  const store = watchTokens(deps.sessionStore ?? createMemorySessionStore(), (token) => {
    shape = tokenShape(token);
  });
  const watched = { ...deps, fetch: observing, sessionStore: store };
  const transport = createTransport(watched);
  const api = createTimeTapApi(watched, transport);
  return {
    api,
    getJson: (path) =>
      transport.getJson(`GET ${path.split('?')[0] ?? path}`, path, {
        giveUpOn: (error) => isLargePageFailure(error),
      }),
    async unauthorized(path) {
      const response = await observing(`${deps.config.baseUrl}${path}`, {
        headers: { accept: 'application/json', authorization: 'Bearer doctor-not-a-session-token' },
        signal: AbortSignal.timeout(deps.config.timeoutMs),
      });
      await response.body?.cancel().catch(() => undefined);
      return seen[seen.length - 1] as Exchange;
    },
    exchanges: () => [...seen],
    tokenShape: () => shape,
  };
}

function exchangeOf(url: string, response: Response): Exchange {
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    path = url.split('?')[0] ?? '';
  }
  return {
    path,
    status: response.status,
    contentType: (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '',
    retryAfter: response.headers.has('retry-after'),
  };
}

/** A store that tells `onToken` of each token stored. */
function watchTokens(store: SessionStore, onToken: (token: string) => void): SessionStore {
  return {
    ...store,
    get: () => store.get(),
    async set(token, idleMs) {
      onToken(token);
      await store.set(token, idleMs);
    },
    refresh: (stale, login) => store.refresh(stale, login),
  };
}

/** `st:api:api:<32 hex>`, `st.api.api.<32 hex>`, or only a length: never a character of the secret part. */
function tokenShape(token: string): string {
  const match = /^st([:.])api\1api\1([0-9a-f]+)$/i.exec(token);
  if (match) return `st${match[1]}api${match[1]}api${match[1]}<${match[2]?.length} hex>`;
  return `another form (${token.length} characters)`;
}
