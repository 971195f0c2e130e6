/**
 * The admin token check for `POST /resync` and the dashboard. The token may come as
 * `Authorization: Bearer <token>` (scripts) or as HTTP basic auth with the token as the password
 * and any user name (browsers, which can only prompt for basic auth).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const AUTH_REALM = 'timetap-sync';

/** The token a request presents, or undefined when the header is missing or malformed. */
export function parseCredentials(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(header);
  if (!match) return undefined;
  const scheme = match[1]!.toLowerCase();
  const value = match[2]!;
  if (scheme === 'bearer') return value;
  if (scheme !== 'basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  // RFC 7617: the user name cannot contain a colon, the password can; split at the first one.
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

export interface TokenCheck {
  matches(candidate: string | undefined): boolean;
}

/**
 * Compares SHA-256 digests of both sides with timingSafeEqual: digests always have the same
 * length, so neither the comparison time nor an early length check tells an attacker anything
 * about the token's length or its first characters.
 */
export function createTokenCheck(token: string): TokenCheck {
  if (token.length === 0) throw new Error('the admin token must not be empty');
  const expected = digest(token);
  return {
    matches(candidate) {
      if (candidate === undefined) return false;
      return timingSafeEqual(digest(candidate), expected);
    },
  };
}

/**
 * Which of several tokens a candidate is, by the key each was given (the webhook's secrets name
 * accounts). The candidate is compared with every token, whichever matches, so that the time
 * tells neither whether nor which one matched.
 */
export function createTokenLookup<K>(tokens: ReadonlyArray<readonly [K, string]>): {
  find(candidate: string | undefined): K | undefined;
} {
  if (tokens.some(([, token]) => token.length === 0)) throw new Error('a token must not be empty');
  const expected = tokens.map(([key, token]) => [key, digest(token)] as const);
  return {
    find(candidate) {
      if (candidate === undefined) return undefined;
      const given = digest(candidate);
      let found: K | undefined;
      for (const [key, token] of expected) {
        if (timingSafeEqual(given, token) && found === undefined) found = key;
      }
      return found;
    },
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
