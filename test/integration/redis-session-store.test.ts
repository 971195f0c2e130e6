/**
 * The shared session store against a real Redis. Each "process" is a store on its own
 * connection, so the cross-process lock is what keeps the login single, not the in-process promise.
 */
import { describe, expect, it } from 'vitest';
import { SyncError } from '../../src/errors.js';
import { createRedisSessionStore, type RedisSessionStoreOptions } from '../../src/redis/session-store.js';
import type { SessionStore } from '../../src/timetap/session.js';
import { useTestRedis } from '../helpers/redis.js';

const IDLE_MS = 60_000;
const { connect, newKey: keyFor } = useTestRedis('redis-session');
const newKey = () => keyFor('timetap:session');

/** A login like the client's: it stores the token itself before resolving. */
function loginFor(store: SessionStore, counter: { logins: number }, token: string, delayMs = 100) {
  return async () => {
    counter.logins += 1;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    await store.set(token, IDLE_MS);
    return token;
  };
}

function stores(count: number, key: string, options: Partial<RedisSessionStoreOptions> = {}): SessionStore[] {
  return Array.from({ length: count }, () =>
    createRedisSessionStore(connect(), { key, pollMs: 20, ...options }),
  );
}

describe('createRedisSessionStore', () => {
  it('logs in exactly once for 20 concurrent refreshes across 3 processes', async () => {
    const key = newKey();
    const [a, b, c] = stores(3, key) as [SessionStore, SessionStore, SessionStore];
    await a.set('st-old', IDLE_MS);
    const counter = { logins: 0 };
    const all = [a, b, c];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const store = all[i % 3] as SessionStore;
        return store.refresh('st-old', loginFor(store, counter, `st-new-${i}`));
      }),
    );
    expect(counter.logins).toBe(1);
    expect(new Set(results).size).toBe(1);
    const winner = results[0];
    expect(winner).toMatch(/^st-new-/);
    for (const store of all) expect(await store.get()).toBe(winner);
    expect(await connect().exists(`${key}:lock`)).toBe(0);
  });

  it('returns the already-replaced token without logging in', async () => {
    const key = newKey();
    const [a, b] = stores(2, key) as [SessionStore, SessionStore];
    await a.set('st-new', IDLE_MS);
    const counter = { logins: 0 };
    await expect(b.refresh('st-old', loginFor(b, counter, 'st-newer'))).resolves.toBe('st-new');
    expect(counter.logins).toBe(0);
  });

  it('re-reads the token once the lock is held: a login that finished meanwhile is reused', async () => {
    const key = newKey();
    const [other] = stores(1, key) as [SessionStore];
    await other.set('st-old', IDLE_MS);
    // Another process completes its login exactly between our read and our lock.
    const redis = connect();
    const setLock = redis.set.bind(redis) as (...args: unknown[]) => Promise<unknown>;
    (redis as unknown as { set: (...args: unknown[]) => Promise<unknown> }).set = async (...args) => {
      if (args[0] === `${key}:lock`) await other.set('st-theirs', IDLE_MS);
      return setLock(...args);
    };
    const store = createRedisSessionStore(redis, { key });
    const counter = { logins: 0 };
    await expect(store.refresh('st-old', loginFor(store, counter, 'st-ours', 0))).resolves.toBe('st-theirs');
    expect(counter.logins).toBe(0);
    expect(await connect().exists(`${key}:lock`)).toBe(0);
  });

  it('logs in when there is no token at all, and stores it with the idle TTL', async () => {
    const key = newKey();
    const [a] = stores(1, key) as [SessionStore];
    const counter = { logins: 0 };
    await expect(a.refresh(undefined, loginFor(a, counter, 'st-first', 0))).resolves.toBe('st-first');
    expect(counter.logins).toBe(1);
    const ttl = await connect().pttl(key);
    expect(ttl).toBeGreaterThan(IDLE_MS - 5_000);
    expect(ttl).toBeLessThanOrEqual(IDLE_MS);
  });

  it('stores a token that login did not store itself, with a TTL', async () => {
    const key = newKey();
    const [a] = stores(1, key, { lockTtlMs: 1_000 }) as [SessionStore];
    await expect(a.refresh(undefined, async () => 'st-unsaved')).resolves.toBe('st-unsaved');
    expect(await a.get()).toBe('st-unsaved');
    expect(await connect().pttl(key)).toBeGreaterThan(0);
  });

  it('expires the token after its idle time', async () => {
    const key = newKey();
    const [a] = stores(1, key) as [SessionStore];
    await a.set('st-short', 150);
    expect(await a.get()).toBe('st-short');
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await a.get()).toBeUndefined();
  });

  it('releases the lock when login throws; the error propagates and the next refresh logs in', async () => {
    const key = newKey();
    const [a, b] = stores(2, key) as [SessionStore, SessionStore];
    const failure = new Error('login refused');
    await expect(a.refresh(undefined, () => Promise.reject(failure))).rejects.toBe(failure);
    expect(await connect().exists(`${key}:lock`)).toBe(0);
    const counter = { logins: 0 };
    await expect(b.refresh(undefined, loginFor(b, counter, 'st-after', 0))).resolves.toBe('st-after');
    await expect(a.refresh(undefined, loginFor(a, counter, 'st-again', 0))).resolves.toBe('st-after');
    expect(counter.logins).toBe(1);
  });

  it('takes over the lock of a process that died during its login', async () => {
    const key = newKey();
    const [a] = stores(1, key) as [SessionStore];
    await connect().set(`${key}:lock`, 'a-dead-owner', 'PX', 300);
    const counter = { logins: 0 };
    const started = Date.now();
    await expect(a.refresh(undefined, loginFor(a, counter, 'st-rescued', 0))).resolves.toBe('st-rescued');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(counter.logins).toBe(1);
  });

  it('gives up with a retryable error, without the token, when the lock is never released', async () => {
    const key = newKey();
    const [a] = stores(1, key, { waitTimeoutMs: 300 }) as [SessionStore];
    await a.set('st-secret-stale', IDLE_MS);
    await connect().set(`${key}:lock`, 'a-stuck-owner', 'PX', 10_000);
    const error = await a.refresh('st-secret-stale', async () => 'never').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyncError);
    expect((error as SyncError).retryable).toBe(true);
    expect((error as Error).message).not.toContain('st-secret-stale');
    // The stuck owner's lock is not ours to delete.
    expect(await connect().get(`${key}:lock`)).toBe('a-stuck-owner');
  });

  it('touch extends the TTL only for the current token, at most once per interval', async () => {
    const key = newKey();
    const admin = connect();
    const [a] = stores(1, key, { touchIntervalMs: 60_000 }) as [SessionStore];
    await a.set('st-current', 1_000);
    await a.touch?.('st-replaced', IDLE_MS);
    expect(await admin.pttl(key)).toBeLessThanOrEqual(1_000);
    // set() counts as a touch, so use a fresh store for the first real touch.
    const [b] = stores(1, key, { touchIntervalMs: 60_000 }) as [SessionStore];
    await b.touch?.('st-current', IDLE_MS);
    expect(await admin.pttl(key)).toBeGreaterThan(IDLE_MS - 5_000);
    await admin.pexpire(key, 1_000);
    await b.touch?.('st-current', IDLE_MS); // throttled: no round trip
    expect(await admin.pttl(key)).toBeLessThanOrEqual(1_000);
  });

  it('with an encryption secret, Redis never holds the token in clear', async () => {
    const key = newKey();
    const secret = 'the-private-key';
    const [a, b] = stores(2, key, { encryptionSecret: secret }) as [SessionStore, SessionStore];
    const token = 'st:abc:def:0123456789abcdef0123';
    await a.set(token, IDLE_MS);
    const raw = await connect().get(key);
    expect(raw).not.toBeNull();
    expect(raw).not.toContain(token);
    expect(raw).not.toContain('0123456789abcdef');
    expect(await b.get()).toBe(token);
    // touch still recognises the current token through its fingerprint.
    await connect().pexpire(key, 1_000);
    await b.touch?.(token, IDLE_MS);
    expect(await connect().pttl(key)).toBeGreaterThan(IDLE_MS - 5_000);
    // Another secret (or a plain store) cannot read it: it sees no token and would log in.
    const [other] = stores(1, key, { encryptionSecret: 'another-key' }) as [SessionStore];
    const [plain] = stores(1, key) as [SessionStore];
    expect(await other.get()).toBeUndefined();
    expect(await plain.get()).toBeUndefined();
  });

  it('shares which tokens served a call, under a fingerprint, never the token itself', async () => {
    const key = newKey();
    const [a, b] = stores(2, key, { encryptionSecret: 'the-private-key' }) as [SessionStore, SessionStore];
    const token = 'st:api:api:0123456789abcdef0123456789abcdef';
    expect(await b.wasUsed?.(token)).toBe(false);
    await a.markUsed?.(token);
    expect(await b.wasUsed?.(token)).toBe(true);
    expect(await b.wasUsed?.('st:api:api:ffffffffffffffffffffffffffffffff')).toBe(false);
    const keys = await connect().keys(`${key}*`);
    expect(keys.some((k) => k.startsWith(`${key}:used:`))).toBe(true);
    expect(keys.join(' ')).not.toContain('0123456789abcdef');
  });
});
