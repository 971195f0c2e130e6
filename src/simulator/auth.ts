/**
 * TimeTap's authentication as the simulator plays it: the login signature is md5(apiKey +
 * privateKey) in lowercase hex; session tokens expire after an idle period, each use resets it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Credentials {
  apiKey: string;
  privateKey: string;
}

export type LoginResult = { ok: true; token: string } | { ok: false; status: 400 | 401; message: string };

export interface TokenStore {
  login(query: Record<string, string>): LoginResult;
  /** True if the token is known and not idle-expired; refreshes its clock when `touch`. */
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

export function createTokenStore(credentials: Credentials, idleMs: () => number, now = Date.now): TokenStore {
  const lastUse = new Map<string, number>();
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
      const token = `st:api:api:${randomBytes(16).toString('hex')}`;
      lastUse.set(token, now());
      return { ok: true, token };
    },
    check(token, touch) {
      if (!token) return false;
      const last = lastUse.get(token);
      if (last === undefined) return false;
      const at = now();
      if (at - last > idleMs()) {
        lastUse.delete(token);
        return false;
      }
      if (touch) lastUse.set(token, at);
      return true;
    },
    revokeAll() {
      lastUse.clear();
    },
  };
}
