/**
 * What this process has seen each session token do, so that a 401 can be read correctly. TimeTap
 * answers 401 both when a token died (expired, rotated, used up: log in again) and when the
 * session may not read this endpoint (logging in again will not help). Which one it was follows
 * from the token's other calls:
 * - `alive`: a call sent with the same token *after* our 401 arrived succeeded. The server
 *   handled that call after ours, so the token outlived our 401: our call itself was refused.
 * - `unused`: no call ever succeeded with the token. A fresh token refused on its first use is
 *   evidence of a refusal too (a dead token must have served calls before it died).
 * - `consumed`: the token served calls, and none after our 401: it died. Log in and replay.
 * Tokens are compared by value in memory only; nothing here is logged or stored.
 */

export type TokenVerdict = 'alive' | 'unused' | 'consumed';

export interface TokenUses {
  /** A call sent at `sentAt` (performance.now()) with `token` was accepted (any answer but a 401). */
  succeeded(token: string, sentAt: number): void;
  /** Reads a 401 that answered a call with `token` at `answeredAt`; `usedElsewhere` from the fleet. */
  verdict(token: string, answeredAt: number, usedElsewhere: boolean): TokenVerdict;
  /** How many calls of this process succeeded with `token`. */
  served(token: string): number;
}

/**
 * Only recent tokens matter (a 401 is read a fraction of a second after it arrived), but when
 * TimeTap kills tokens after a call or two there may be hundreds of logins a minute.
 */
const KEEP_TOKENS = 1000;

export function createTokenUses(): TokenUses {
  // Insertion order is age order, so the oldest entry is the first key.
  const tokens = new Map<string, { lastSentAt: number; served: number }>();
  return {
    succeeded(token, sentAt) {
      const seen = tokens.get(token);
      if (seen) {
        seen.served++;
        seen.lastSentAt = Math.max(seen.lastSentAt, sentAt);
        return;
      }
      tokens.set(token, { lastSentAt: sentAt, served: 1 });
      if (tokens.size > KEEP_TOKENS) {
        const oldest = tokens.keys().next().value;
        if (oldest !== undefined) tokens.delete(oldest);
      }
    },
    verdict(token, answeredAt, usedElsewhere) {
      const seen = tokens.get(token);
      if (seen !== undefined && seen.lastSentAt > answeredAt) return 'alive';
      if (seen === undefined && !usedElsewhere) return 'unused';
      return 'consumed';
    },
    served: (token) => tokens.get(token)?.served ?? 0,
  };
}
