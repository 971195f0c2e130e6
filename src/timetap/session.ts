/**
 * Where the session token lives. The client only talks to this interface, so that the worker can
 * later share one token across processes through Redis (a lock around `refresh`, with a re-check
 * of the current token once the lock is held).
 */

export interface SessionStore {
  /** The current token, if any (an idle-expired token counts as none). */
  get(): Promise<string | undefined>;
  /** Stores a fresh token; it expires after `idleMs` without a `touch`. */
  set(token: string, idleMs: number): Promise<void>;
  /** Optional: extends the idle TTL after a successful call (implementations may throttle). */
  touch?(token: string, idleMs: number): Promise<void>;
  /**
   * Runs `login` unless someone else replaced `staleToken` meanwhile; returns the token to use.
   * Must be single-flight: callers that arrive while a login runs share its outcome. `login`
   * stores the new token with `set` itself before it resolves.
   */
  refresh(staleToken: string | undefined, login: () => Promise<string>): Promise<string>;
  /**
   * Optional, for stores shared by several processes: records that `token` served a call, so that
   * another process can tell a token that died (it had served calls) from one refused on its
   * first use (token-uses.ts). A process-local store needs neither: the client knows its own calls.
   */
  markUsed?(token: string): Promise<void>;
  wasUsed?(token: string): Promise<boolean>;
}

/**
 * A store for one process. The idle expiry is how the client re-logs in proactively: a token
 * unused for `idleMs` (configured a little below TimeTap's 4 hours) reads as absent.
 */
export function createMemorySessionStore(options: { now?: () => number } = {}): SessionStore {
  const now = options.now ?? Date.now;
  let token: string | undefined;
  let expiresAt = 0;
  let inflight: Promise<string> | undefined;

  // Synchronous on purpose: no await between the check and the start of a login, so two callers
  // can never both decide to log in.
  const current = (): string | undefined => (token !== undefined && now() < expiresAt ? token : undefined);

  return {
    async get() {
      return current();
    },
    async set(value, idleMs) {
      token = value;
      expiresAt = now() + idleMs;
    },
    async touch(value, idleMs) {
      if (value === token) expiresAt = Math.max(expiresAt, now() + idleMs);
    },
    refresh(staleToken, login) {
      if (inflight) return inflight;
      const fresh = current();
      if (fresh !== undefined && fresh !== staleToken) return Promise.resolve(fresh);
      const running = login().finally(() => {
        if (inflight === running) inflight = undefined;
      });
      inflight = running;
      return running;
    },
  };
}
