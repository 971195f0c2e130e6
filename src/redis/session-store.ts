/**
 * One TimeTap session token shared by every worker process. A process that meets a 401 calls
 * `refresh(staleToken, login)`; only one login happens across the fleet:
 * - within a process, concurrent callers share one promise;
 * - across processes, a lock key (SET NX PX, random owner) guards the login, and the token is read
 *   again once the lock is held (Nango's pattern), so a process that waited behind another's login
 *   uses that token instead of logging in a second time.
 * Processes that do not get the lock poll for the token to change or the lock to go away (its
 * owner died, or its login failed), then try to take it themselves; bounded by `waitTimeoutMs`.
 * The token never appears in a log or an error; with `encryptionSecret` it is not even readable
 * in Redis (see token-codec.ts). Whether a token has served a call is shared too (`markUsed`, once
 * per token and process, under the token's fingerprint), so that a process reading a 401 knows
 * whether another process used the token first.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { SyncError } from '../errors.js';
import type { SessionStore } from '../timetap/session.js';
import { defineScript } from './script.js';
import { createTokenCodec } from './token-codec.js';

export interface RedisSessionStoreOptions {
  /** The token's key, e.g. `<prefix>:timetap:session`; the lock lives at `<key>:lock`. */
  key: string;
  /** How long a login may hold the lock before another process may take over. */
  lockTtlMs?: number;
  /** How long a process waits for another's login before giving up (retryable error). */
  waitTimeoutMs?: number;
  /** Encrypts the token at rest; every process must use the same one (the TimeTap private key). */
  encryptionSecret?: string;
  /** At most one `touch` per token per this interval per process (each is a round trip). */
  touchIntervalMs?: number;
  /** Polling interval while another process logs in. */
  pollMs?: number;
}

const RELEASE_LOCK = defineScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

// Extends the TTL only if the stored token is still the one the caller used (ARGV[1] is its
// fingerprint prefix): a late touch must not keep a replaced token's key alive past its idle time.
const TOUCH = defineScript(`
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, string.len(ARGV[1])) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`);

export function createRedisSessionStore(redis: Redis, options: RedisSessionStoreOptions): SessionStore {
  const { key } = options;
  const lockKey = `${key}:lock`;
  const lockTtlMs = options.lockTtlMs ?? 30_000;
  // Longer than the lock's TTL by default, so a waiter outlives a dead owner's lock and takes over.
  const waitTimeoutMs = options.waitTimeoutMs ?? lockTtlMs + 15_000;
  const touchIntervalMs = options.touchIntervalMs ?? 60_000;
  const pollMs = options.pollMs ?? 75;
  const codec = createTokenCodec({ secret: options.encryptionSecret, context: key });
  let inflight: Promise<string> | undefined;
  let lastTouch: { prefix: string; at: number } | undefined;
  // Fingerprints this process already marked as used (the newest few; a token lives for hours).
  let marked: string[] = [];
  const usedKey = (token: string) => `${key}:used:${codec.prefix(token).slice(0, -1)}`;

  async function get(): Promise<string | undefined> {
    const stored = await redis.get(key);
    return stored === null ? undefined : codec.decode(stored);
  }

  async function set(token: string, idleMs: number): Promise<void> {
    await redis.set(key, codec.encode(token), 'PX', Math.max(1, Math.round(idleMs)));
    lastTouch = { prefix: codec.prefix(token), at: Date.now() };
  }

  async function refreshAcrossProcesses(staleToken: string | undefined, login: () => Promise<string>) {
    const deadline = Date.now() + waitTimeoutMs;
    const owner = randomUUID();
    for (;;) {
      const current = await get();
      if (current !== undefined && current !== staleToken) return current;
      if ((await redis.set(lockKey, owner, 'PX', lockTtlMs, 'NX')) === 'OK') {
        try {
          // Re-check under the lock: another process may have logged in between our read and
          // our lock (it released its lock just before we took ours).
          const again = await get();
          if (again !== undefined && again !== staleToken) return again;
          const token = await login();
          // The client's login stores the token itself (with its idle TTL); a login that does
          // not gets a conservative TTL rather than leaving the fleet without a token.
          if ((await get()) !== token) await set(token, lockTtlMs * 10);
          return token;
        } finally {
          // Compare-and-delete: if our login outlived the lock's TTL, the lock is someone else's.
          await RELEASE_LOCK.run(redis, [lockKey], [owner]).catch(() => undefined);
        }
      }
      if (Date.now() >= deadline) {
        throw new SyncError(
          `gave up after ${waitTimeoutMs} ms waiting for another process to log in to TimeTap`,
          {
            retryable: true,
          },
        );
      }
      await sleep(pollMs * (0.75 + Math.random() * 0.5));
    }
  }

  return {
    get,
    set,
    async touch(token, idleMs) {
      const prefix = codec.prefix(token);
      const now = Date.now();
      const interval = Math.min(touchIntervalMs, idleMs / 4);
      if (lastTouch && lastTouch.prefix === prefix && now - lastTouch.at < interval) return;
      lastTouch = { prefix, at: now };
      await TOUCH.run(redis, [key], [prefix, Math.max(1, Math.round(idleMs))]);
    },
    async markUsed(token) {
      const prefix = codec.prefix(token);
      if (marked.includes(prefix)) return;
      marked = [...marked.slice(-7), prefix];
      // As long as a token can live: TimeTap's idle expiry is renewed by use, so a day is plenty.
      await redis.set(usedKey(token), '1', 'EX', 24 * 3600);
    },
    async wasUsed(token) {
      if (marked.includes(codec.prefix(token))) return true;
      return (await redis.exists(usedKey(token))) === 1;
    },
    refresh(staleToken, login) {
      if (inflight) return inflight;
      const running = refreshAcrossProcesses(staleToken, login).finally(() => {
        if (inflight === running) inflight = undefined;
      });
      inflight = running;
      return running;
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
