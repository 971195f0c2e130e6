import { describe, expect, it } from 'vitest';
import { createMemorySessionStore } from '../../src/timetap/session.js';

describe('createMemorySessionStore', () => {
  it('forgets a token that stayed idle for idleMs, and touch extends it', async () => {
    let now = 1_000;
    const store = createMemorySessionStore({ now: () => now });
    await store.set('t1', 100);
    expect(await store.get()).toBe('t1');
    now += 90;
    await store.touch?.('t1', 100);
    now += 90;
    expect(await store.get()).toBe('t1');
    now += 20;
    expect(await store.get()).toBeUndefined();
  });

  it('runs one login for many concurrent refreshes of the same stale token', async () => {
    const store = createMemorySessionStore();
    await store.set('old', 60_000);
    let logins = 0;
    const login = async () => {
      logins += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      await store.set(`new${logins}`, 60_000);
      return `new${logins}`;
    };
    const tokens = await Promise.all(Array.from({ length: 50 }, () => store.refresh('old', login)));
    expect(logins).toBe(1);
    expect(new Set(tokens)).toEqual(new Set(['new1']));
    // A latecomer that still holds the old token gets the newer one, without a login.
    expect(await store.refresh('old', login)).toBe('new1');
    expect(logins).toBe(1);
    // The current token being refused triggers a new login.
    expect(await store.refresh('new1', login)).toBe('new2');
    expect(logins).toBe(2);
  });

  it('lets the next caller try again after a failed login', async () => {
    const store = createMemorySessionStore();
    let attempts = 0;
    const login = async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('down');
      await store.set('ok', 60_000);
      return 'ok';
    };
    const first = await Promise.allSettled([
      store.refresh(undefined, login),
      store.refresh(undefined, login),
    ]);
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await store.refresh(undefined, login)).toBe('ok');
    expect(attempts).toBe(2);
  });
});
