/**
 * The relogin line (relogin-line.ts) when one call is refused while the others go on: a fresh
 * token refused on its trial did not die, so it must not be replaced, and the refused call must
 * come back to a token of its own. Otherwise its next 401 is on a token the others used (and were
 * kept off while it was tried), reads as a death, and costs a login: up to MAX_CYCLES of them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SessionRefusedError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { createRedactor } from '../../src/redact.js';
import { createAuthorizedExchange, MAX_REFUSALS } from '../../src/timetap/authorized.js';
import { createReloginLine } from '../../src/timetap/relogin-line.js';
import { createMemorySessionStore } from '../../src/timetap/session.js';
import { createSessionGuard } from '../../src/timetap/session-guard.js';

function counting(store = createMemorySessionStore()) {
  let logins = 0;
  const login = async () => {
    logins++;
    const token = `t${logins}`;
    await store.set(token, 60_000);
    return token;
  };
  return { store, login, logins: () => logins };
}

describe('createReloginLine', () => {
  it('hands a trial refused (not dead) token to the next call, and the refused call a fresh one', async () => {
    const { store, login, logins } = counting();
    const served = new Map<string, number>([['t1', 3]]);
    const line = createReloginLine(
      (stale, fn) => store.refresh(stale, fn),
      (t) => served.get(t) ?? 0,
    );
    await login();
    // The refused call read its 401 on t1 as a death: it logs in and tries t2 alone.
    const ticket = line.ticket();
    const first = await line.next(ticket, 't1', login);
    expect(first).toMatchObject({ token: 't2', kind: 'trial' });
    // Another call arrives meanwhile: it waits in line.
    const other = line.current(() => store.get(), login);
    first.report('refused');
    // t2 did not die: the other call tries it, without a login.
    const otherTurn = await other;
    expect(otherTurn).toMatchObject({ token: 't2', kind: 'trial' });
    expect(logins()).toBe(2);
    // The refused call comes back while t2 is tried: it is not handed t2 again, but a fresh
    // token that it tries alone, so that a 401 on it is evidence again.
    const again = line.next(ticket, 't2', login);
    otherTurn.report('passed');
    served.set('t2', 1);
    expect(await again).toMatchObject({ token: 't3', kind: 'trial' });
    expect(logins()).toBe(3);
  });

  it('gives a token up when its trial is refused twice in a row', async () => {
    const { store, login, logins } = counting();
    const line = createReloginLine(
      (stale, fn) => store.refresh(stale, fn),
      () => 0,
    );
    await login();
    const first = await line.next(line.ticket(), 't1', login);
    const second = line.current(() => store.get(), login);
    const third = line.current(() => store.get(), login);
    first.report('refused');
    const secondTurn = await second;
    expect(secondTurn).toMatchObject({ token: 't2', kind: 'trial' });
    secondTurn.report('refused');
    // Dead (used up elsewhere) or refused to everyone: a login serves the rest.
    expect(await third).toMatchObject({ token: 't3', kind: 'trial' });
    expect(logins()).toBe(3);
  });
});

describe('createAuthorizedExchange, one call refused while another goes on', () => {
  it('ends with SessionRefusedError after MAX_REFUSALS, at no more than a login per refusal', async () => {
    const { store, login, logins } = counting();
    const guard = createSessionGuard(store);
    const answer = (status: number) => ({
      status,
      headers: new Headers(),
      body: Buffer.from(status === 200 ? '[]' : ''),
    });
    const authorized = createAuthorizedExchange({
      guard,
      logger: createLogger({ level: 'silent', redactor: createRedactor() }),
      signal: undefined,
      // A loaded machine: the other call's answers take long, the refusal comes at once and is
      // read before any other call could be sent after it (the worst case for the reading).
      async send(_endpoint, path, _url, authorize) {
        const token = await authorize();
        if (token === undefined) return undefined;
        const sentAt = performance.now();
        await sleep(path === '/refused' ? 1 : 15);
        return {
          answer: answer(path === '/refused' ? 401 : 200),
          token,
          sentAt,
          answeredAt: performance.now(),
        };
      },
      login,
      sessionIdleMs: 60_000,
      pauseMs: () => 2,
    });
    await login();
    let done = false;
    const others = (async () => {
      let count = 0;
      while (!done) {
        await authorized('GET /staff', '/staff', 'http://x/staff');
        count++;
      }
      return count;
    })();
    await sleep(5);
    const outcome = await authorized('GET /services', '/refused', 'http://x/refused').catch(
      (e: unknown) => e,
    );
    done = true;
    await others;
    expect(outcome).toBeInstanceOf(SessionRefusedError);
    expect(logins()).toBeLessThanOrEqual(1 + MAX_REFUSALS);
  });
});
