/**
 * What one process knows of its TimeTap session beyond the token itself: which tokens served
 * calls (token-uses.ts), the line of calls waiting for a fresh token (relogin-line.ts) and the
 * breaker over refusals (session-breaker.ts). The clients of one process share it (the worker's
 * jobs each have a client of their own), as they share the session store it is bound to.
 */
import { createReloginLine, type ReloginLine } from './relogin-line.js';
import type { SessionStore } from './session.js';
import { createSessionBreaker, type SessionBreaker, type SessionBreakerOptions } from './session-breaker.js';
import { createTokenUses, type TokenUses } from './token-uses.js';

export interface SessionGuard {
  store: SessionStore;
  uses: TokenUses;
  line: ReloginLine;
  breaker: SessionBreaker;
}

export function createSessionGuard(store: SessionStore, breaker: SessionBreakerOptions = {}): SessionGuard {
  const uses = createTokenUses();
  return {
    store,
    uses,
    line: createReloginLine((stale, login) => store.refresh(stale, login), uses.served),
    breaker: createSessionBreaker(breaker),
  };
}
