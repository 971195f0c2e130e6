/**
 * TimeTap's authentication as the simulator plays it: the login signature is md5(apiKey +
 * privateKey) in lowercase hex; session tokens expire after an idle period, each use resets it.
 * Optionally a token also dies after a number of data calls: the docs allow a token to stop
 * working at any time (a 401 right after a login), and a client must cope by logging in again.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Credentials {
  apiKey: string;
  privateKey: string;
}

export type LoginResult = { ok: true; token: string } | { ok: false; status: 400 | 401; message: string };

export interface TokenStore {
  login(query: Record<string, string>): LoginResult;
  /**
   * True if the token is known, not idle-expired and not used up. With `touch` the check is a data
   * call: it refreshes the token's clock and counts against its call budget; a token whose budget
   * is spent is forgotten. Without `touch` nothing changes (a look, not a use).
   */
  check(token: string | undefined, touch: boolean): boolean;
  revokeAll(): void;
}

export function expectedSignature(credentials: Credentials): string {
  return createHash('md5')
    .update(credentials.apiKey + credentials.privateKey)
    .digest('hex');
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export interface TokenLimits {
  idleMs(): number;
  /** Data calls one token serves; undefined = unlimited. Read at each call, so changes apply at once. */
  maxCalls(): number | undefined;
  /** How new tokens are spelt: `st:api:api:<hex>` (the docs; default) or `st.api.api.<hex>`. */
  style?(): 'colon' | 'dotted';
}

interface Session {
  lastUse: number;
  /** Data calls served so far. */
  used: number;
}

export function createTokenStore(credentials: Credentials, limits: TokenLimits, now = Date.now): TokenStore {
  const sessions = new Map<string, Session>();
  const signature = expectedSignature(credentials);
  return {
    login(query) {
      const { apiKey, timestamp, signature: given } = query;
      if (!apiKey || !timestamp || !given) {
        return { ok: false, status: 400, message: 'apiKey, timestamp and signature are required' };
      }
      // The message stays the same for a wrong key and a wrong signature, like a real login form.
      if (!sameText(apiKey, credentials.apiKey) || !sameText(given, signature)) {
        return { ok: false, status: 401, message: 'Invalid API key or signature' };
      }
      const separator = limits.style?.() === 'dotted' ? '.' : ':';
      const token = ['st', 'api', 'api', randomBytes(16).toString('hex')].join(separator);
      sessions.set(token, { lastUse: now(), used: 0 });
      return { ok: true, token };
    },
    check(token, touch) {
      if (!token) return false;
      const session = sessions.get(token);
      if (session === undefined) return false;
      const at = now();
      if (at - session.lastUse > limits.idleMs()) {
        sessions.delete(token);
        return false;
      }
      const max = limits.maxCalls();
      if (max !== undefined && session.used >= max) {
        if (touch) sessions.delete(token);
        return false;
      }
      if (touch) {
        session.lastUse = at;
        session.used++;
      }
      return true;
    },
    revokeAll() {
      sessions.clear();
    },
  };
}
