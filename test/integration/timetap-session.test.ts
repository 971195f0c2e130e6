/**
 * What a 401 means, against the simulator over real HTTP. Only `/sessionToken` refusing the keys
 * means the keys are wrong (timetap-client.test.ts); a 401 on a data call means the token died,
 * or that the session may not read that data. These tests stage each case and count the logins.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { TimeTapConfig } from '../../src/config.js';
import { AuthError, SessionBreakerOpenError, SessionRefusedError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { createRedactor } from '../../src/redact.js';
import type { Simulator } from '../../src/simulator/index.js';
import { createTimeTapApi, type TimeTapApiDeps } from '../../src/timetap/index.js';
import { testTimeTapConfig } from '../helpers/sync.js';
import { useSimulator } from '../helpers/use-simulator.js';

let sim: Simulator;
const silent = createLogger({ level: 'silent', redactor: createRedactor() });

function makeClient(overrides: Partial<TimeTapConfig> = {}, deps: Partial<TimeTapApiDeps> = {}) {
  return createTimeTapApi({
    config: testTimeTapConfig(sim, { maxRps: 1000, retries: 3, retryAfterCapMs: 1000, ...overrides }),
    logger: silent,
    redactor: createRedactor(),
    backoff: { minTimeoutMs: 10, maxTimeoutMs: 50 },
    ...deps,
  });
}

const logins = () => sim.calls.filter((c) => c.path === '/sessionToken').length;
const locationIds = () => [...sim.data.locations.keys()];

useSimulator({ seed: 3, locations: 4 }, (started) => (sim = started));
beforeEach(() => {
  sim.clearFaults();
  sim.setTokenMaxCalls(undefined);
  sim.resetCalls();
});

describe('a 401 on a data call', () => {
  it.each([1, 2, 3, 4, 5])(
    'is a dead token when tokens die after %i calls: 120 calls, 8 in flight, all succeed',
    async (n) => {
      sim.setTokenMaxCalls(n);
      const api = makeClient();
      const ids = locationIds();
      const calls = Array.from({ length: 120 }, (_, i) => api.listStaff(ids[i % ids.length]));
      const results = await Promise.allSettled(calls);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      // Each token serves n calls, so 120 / n logins are needed; the line of calls waiting for a
      // fresh token (relogin-line.ts) makes one login at a time and learns how long a token lasts,
      // so it needs hardly more. A 401 is spent when a token dies under the calls in flight, and
      // on the occasional probe whether tokens last longer now: well under one per call.
      expect(logins()).toBeGreaterThanOrEqual(Math.ceil(120 / n));
      expect(logins()).toBeLessThanOrEqual(Math.ceil(120 / n) + 3);
      const refused = sim.calls.filter((c) => c.path === '/staff' && c.status === 401).length;
      expect(refused).toBeLessThanOrEqual(60);
      expect(api.stats().calls['GET /staff']?.['200']).toBe(120);
    },
  );

  it('fails only the refused call when the token keeps working for the others, at no more than a login per refusal', async () => {
    const api = makeClient();
    await api.login();
    const [refused, other] = locationIds() as [number, number];
    sim.inject({
      path: '/services',
      query: { locationId: String(refused) },
      fault: { type: 'status', status: 401 },
    });
    // Other calls go on while the refused one is read: they prove that the token is alive.
    let done = false;
    const others = (async () => {
      let count = 0;
      while (!done) {
        await api.listStaff(other);
        count++;
      }
      return count;
    })();
    const outcome = await api.listServices(refused).then(
      () => undefined,
      (error: unknown) => error,
    );
    done = true;
    expect(await others).toBeGreaterThan(3);
    expect(outcome).toBeInstanceOf(SessionRefusedError);
    expect(outcome).not.toBeInstanceOf(AuthError);
    // Usually no login at all: a call sent after the 401 passed with the same token, so the token
    // is alive and our call alone is refused. On a loaded machine the other calls may not have
    // answered within the pause; then each refusal costs one login and the fresh token's
    // exclusive first use proves the refusal. Never more than that.
    expect(logins()).toBeLessThanOrEqual(1 + 3);
    // Three refusals end the call. A 401 read before the other calls' answers arrived looks like
    // a token that died (not a refusal): it costs a login, and it is the only extra 401 there is.
    const refused401 = sim.calls.filter((c) => c.path === '/services' && c.status === 401).length;
    expect(refused401).toBeGreaterThanOrEqual(3);
    expect(refused401 - 3).toBeLessThanOrEqual(logins() - 1);
    // The other calls never lost a beat: none of them was answered 401.
    expect(sim.calls.filter((c) => c.path === '/staff' && c.status === 401)).toEqual([]);
  });

  it('opens the breaker when almost every call is refused, and stops calling TimeTap', async () => {
    const api = makeClient({ maxConcurrency: 2 });
    sim.inject({ path: /^\/(?!sessionToken)/, fault: { type: 'status', status: 401 } });
    const ids = locationIds();
    const errors: unknown[] = [];
    for (let i = 0; i < 12; i++) {
      await api.listStaff(ids[i % ids.length]).catch((error: unknown) => errors.push(error));
    }
    const refused = errors.filter((e) => e instanceof SessionRefusedError);
    const stopped = errors.filter((e) => e instanceof SessionBreakerOpenError);
    expect(refused).toHaveLength(5);
    expect(stopped).toHaveLength(7);
    expect(errors.some((e) => e instanceof AuthError)).toBe(false);
    // 5 calls x 3 refused sessions each; the 7 calls after the breaker opened cost nothing.
    expect(sim.calls.filter((c) => c.path === '/staff')).toHaveLength(15);
    expect(logins()).toBeLessThanOrEqual(15);
  });

  it('a refusal of the keys by /sessionToken is still an AuthError at once', async () => {
    const api = makeClient();
    sim.inject({ path: '/sessionToken', fault: { type: 'status', status: 403 } });
    await expect(api.listLocations()).rejects.toBeInstanceOf(AuthError);
    expect(logins()).toBe(1);
  });
});
