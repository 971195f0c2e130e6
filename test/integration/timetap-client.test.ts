/**
 * The TimeTap client against the simulator over real HTTP: session handling, retries, timeouts,
 * validation, politeness, and that no secret ever reaches a log line or an error message.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { TimeTapConfig } from '../../src/config.js';
import { loadConfig } from '../../src/config.js';
import {
  AUTH_FAILURE_MESSAGE,
  AuthError,
  MalformedResponseError,
  NetworkError,
  NotFoundError,
  SessionRefusedError,
  TimeTapHttpError,
} from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { createRedactor, type Redactor } from '../../src/redact.js';
import type { Simulator } from '../../src/simulator/index.js';
import {
  computeSignature,
  createTimeTapApi,
  runCheck,
  type TimeTapApiDeps,
} from '../../src/timetap/index.js';
import { testTimeTapConfig } from '../helpers/sync.js';
import { useSimulator } from '../helpers/use-simulator.js';

let sim: Simulator;
/** Every log line of every client in this file, unscrubbed (see `rawLogger`). */
const logLines: string[] = [];
/** Every error message the tests saw. */
const errorMessages: string[] = [];
/** Every session token sent in an Authorization header. */
const tokensSeen = new Set<string>();

/**
 * The logger of these tests does NOT scrub: the client itself must never put a secret in a log
 * line, so the final test can fail if it does (the production logger scrubs as a second line).
 */
const passThrough: Redactor = { add() {}, scrub: (text) => text };
const rawLogger = createLogger({
  level: 'trace',
  redactor: passThrough,
  destination: { write: (line: string) => void logLines.push(line) },
});

const recordingFetch: typeof fetch = (input, init) => {
  const auth = new Headers(init?.headers).get('authorization');
  if (auth?.startsWith('Bearer ')) tokensSeen.add(auth.slice('Bearer '.length));
  return fetch(input, init);
};

function makeClient(overrides: Partial<TimeTapConfig> = {}, deps: Partial<TimeTapApiDeps> = {}) {
  const redactor = createRedactor();
  const api = createTimeTapApi({
    config: testTimeTapConfig(sim, { retryBaseMs: 500, ...overrides }),
    logger: rawLogger,
    redactor,
    fetch: recordingFetch,
    backoff: { minTimeoutMs: 20, maxTimeoutMs: 200 },
    ...deps,
  });
  return { client: api, redactor };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    errorMessages.push(String((error as Error).message));
    return error as Error;
  }
  throw new Error('expected a failure');
}

const callsTo = (path: string) => sim.calls.filter((c) => c.path === path);
const firstLocationId = () => [...sim.data.locations.keys()][0]!;

useSimulator({ seed: 7, locations: 3 }, (started) => (sim = started));

beforeEach(() => {
  sim.clearFaults();
  sim.resetCalls();
});

describe('TimeTap client over HTTP', () => {
  it('walks the documented endpoints with one login', async () => {
    const { client: api, redactor } = makeClient();
    const locations = await api.listLocations();
    expect(locations.items.map((l) => l.id).sort()).toEqual([...sim.data.locations.keys()].sort());
    expect(locations.skipped).toEqual([]);
    const locationId = firstLocationId();
    const staff = await api.listStaff(locationId);
    expect(staff.items.map((s) => s.id).sort()).toEqual(
      [...(sim.data.locationStaff.get(locationId) ?? [])].sort(),
    );
    const services = await api.listServices(locationId);
    expect(services.items.length).toBe(sim.data.locationServices.get(locationId)?.size);
    const staffId = staff.items[0]!.id;
    await api.listServices(locationId, staffId);
    await api.listStaff();

    const one = await api.getStaff(staffId);
    expect(one.raw).toEqual(sim.data.staff.get(staffId));
    expect((await api.getLocation(locationId)).id).toBe(locationId);
    expect((await api.getService(services.items[0]!.id)).id).toBe(services.items[0]!.id);

    expect(callsTo('/sessionToken')).toHaveLength(1);
    const stats = api.stats();
    expect(stats.logins).toBe(1);
    expect(stats.relogins).toBe(0);
    expect(stats.calls['GET /staff']).toEqual({ '200': 2 });
    expect(stats.calls['GET /staff/{id}']).toEqual({ '200': 1 });
    expect(stats.apiCalls).toBe(sim.calls.length);
    // Every token issued was registered with the redactor as soon as it was known.
    for (const token of tokensSeen) expect(redactor.scrub(token)).toBe('[REDACTED]');
    expect(redactor.scrub(computeSignature(sim.credentials.apiKey, sim.credentials.privateKey))).toBe(
      '[REDACTED]',
    );
  });

  it('re-logs in exactly once when the token is revoked in the middle of 100 concurrent calls', async () => {
    const { client: api } = makeClient({ maxConcurrency: 8 });
    await api.login();
    sim.resetCalls();
    const locationId = firstLocationId();
    sim.inject({ path: '/staff', afterCalls: 30, times: 1, fault: { type: 'revoke' } });
    const results = await Promise.all(Array.from({ length: 100 }, () => api.listStaff(locationId)));
    expect(results.every((r) => r.items.length > 0)).toBe(true);
    expect(callsTo('/sessionToken')).toHaveLength(1);
    expect(sim.stats().logins).toBe(1);
    expect(callsTo('/staff').filter((c) => c.status === 401).length).toBeGreaterThanOrEqual(1);
    expect(api.stats().relogins).toBe(1);
  });

  it('re-logs in before using a token idle for the configured time', async () => {
    const { client: api } = makeClient({ sessionIdleMs: 150 });
    await api.listLocations();
    await new Promise((resolve) => setTimeout(resolve, 250));
    await api.listLocations();
    expect(callsTo('/sessionToken')).toHaveLength(2);
    expect(callsTo('/locations').every((c) => c.status === 200)).toBe(true);
    expect(api.stats().relogins).toBe(1);
  });

  it('honours Retry-After on a 429', async () => {
    const { client: api } = makeClient();
    sim.inject({ path: '/locations', times: 1, fault: { type: 'status', status: 429, retryAfter: '1' } });
    const started = performance.now();
    await api.listLocations();
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
    expect(callsTo('/locations').map((c) => c.status)).toEqual([429, 200]);
    expect(api.stats().retries).toBe(1);
  });

  it('does not hold a limiter slot while waiting to retry', async () => {
    const { client: api } = makeClient({ maxConcurrency: 1 });
    await api.login();
    sim.inject({ path: '/locations', times: 1, fault: { type: 'status', status: 429, retryAfter: '1' } });
    const started = performance.now();
    const slow = api.listLocations().then(() => performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const fast = await api.listStaff(firstLocationId()).then(() => performance.now() - started);
    expect(fast).toBeLessThan(900);
    expect(await slow).toBeGreaterThanOrEqual(1000);
  });

  it('rides out a burst of 503s', async () => {
    const { client: api } = makeClient();
    sim.inject({ path: '/locations', times: 3, fault: { type: 'status', status: 503 } });
    const result = await api.listLocations();
    expect(result.items.length).toBe(sim.data.locations.size);
    expect(callsTo('/locations').map((c) => c.status)).toEqual([503, 503, 503, 200]);
    expect(api.stats().calls['GET /locations']).toEqual({ '503': 3, '200': 1 });
  });

  it('gives up after the retry budget', async () => {
    const { client: api } = makeClient({ retries: 2 });
    sim.inject({ path: '/locations', fault: { type: 'status', status: 502 } });
    const error = await failure(api.listLocations());
    expect(error).toBeInstanceOf(TimeTapHttpError);
    expect(callsTo('/locations')).toHaveLength(3);
  });

  it('does not retry a 400 or a 404', async () => {
    const { client: api } = makeClient();
    sim.inject({ path: '/locations', times: 1, fault: { type: 'status', status: 400 } });
    const bad = await failure(api.listLocations());
    expect(bad).toBeInstanceOf(TimeTapHttpError);
    expect(bad).toMatchObject({ status: 400, retryable: false, path: '/locations?pageNumber=1&pageSize=25' });
    expect(callsTo('/locations')).toHaveLength(1);

    const gone = await failure(api.getLocation(987_654_321));
    expect(gone).toBeInstanceOf(NotFoundError);
    expect(callsTo('/locations/987654321')).toHaveLength(1);
  });

  it('times out a hung answer and a body that stalls half-way', async () => {
    const { client: api } = makeClient({ timeoutMs: 300, retries: 1 });
    await api.login();
    sim.inject({ path: '/locations', fault: { type: 'hang' } });
    const hung = await failure(api.listLocations());
    expect(hung).toBeInstanceOf(NetworkError);
    expect(hung.message).toMatch(/timed out/);
    expect(callsTo('/locations')).toHaveLength(2);

    sim.clearFaults();
    sim.inject({ path: '/staff', fault: { type: 'stall' } });
    const stalled = await failure(api.listStaff(firstLocationId()));
    expect(stalled).toBeInstanceOf(NetworkError);
    expect(stalled.message).toMatch(/timed out .*body/);
    expect(api.stats().calls['GET /staff']).toEqual({ timeout: 2 });
  });

  it('stops at once, without retrying, when the shutdown signal aborts', async () => {
    const controller = new AbortController();
    const { client: api } = makeClient({ timeoutMs: 10_000 }, { signal: controller.signal });
    await api.login();
    sim.inject({ path: '/locations', fault: { type: 'hang' } });
    setTimeout(() => controller.abort(new Error('shutting down')), 100);
    const error = await failure(api.listLocations());
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).retryable).toBe(false);
    expect(callsTo('/locations')).toHaveLength(1);
  });

  it('reports wrong credentials as AuthError after a single login attempt', async () => {
    const { client: api } = makeClient({ privateKey: 'not-the-right-private-key' });
    const errors = await Promise.all(Array.from({ length: 5 }, () => failure(api.listLocations())));
    for (const error of errors) {
      expect(error).toBeInstanceOf(AuthError);
      expect(error.message).toBe(AUTH_FAILURE_MESSAGE);
    }
    expect(callsTo('/sessionToken')).toHaveLength(1);
    expect(callsTo('/locations')).toHaveLength(0);
  });

  it('never blames the keys for a 401 on a data call: fresh sessions refused three times fail that call', async () => {
    const { client: api } = makeClient();
    sim.inject({ path: '/locations', fault: { type: 'status', status: 401 } });
    const error = await failure(api.listLocations());
    expect(error).toBeInstanceOf(SessionRefusedError);
    expect(error).not.toBeInstanceOf(AuthError);
    expect(error.message).toBe(
      'TimeTap accepted the keys but refused the session for GET /locations: the API user may lack access to it',
    );
    // One login per attempt, each refused on its first use: three, then it stops.
    expect(callsTo('/sessionToken')).toHaveLength(3);
    expect(callsTo('/locations')).toHaveLength(3);
  });

  it('skips and reports a record without an id', async () => {
    const { client: api } = makeClient();
    const locationId = firstLocationId();
    sim.inject({ path: '/staff', times: 1, fault: { type: 'drop-id' } });
    const result = await api.listStaff(locationId);
    expect(result.items).toHaveLength((sim.data.locationStaff.get(locationId)?.size ?? 0) - 1);
    expect(result.skipped).toEqual([
      {
        list: `GET /staff?locationId=${locationId}`,
        index: expect.any(Number),
        reason: 'professionalId: missing',
      },
    ]);
    expect(api.stats().skipped).toBe(1);
  });

  it('retries an HTML or truncated body at most twice, then fails as malformed', async () => {
    const { client: api } = makeClient();
    await api.login();
    sim.inject({ path: '/locations', fault: { type: 'html' } });
    const html = await failure(api.listLocations());
    expect(html).toBeInstanceOf(MalformedResponseError);
    expect(callsTo('/locations')).toHaveLength(3);

    sim.clearFaults();
    sim.resetCalls();
    sim.inject({ path: '/locations', fault: { type: 'truncated' } });
    const truncated = await failure(api.listLocations());
    expect(truncated).toBeInstanceOf(MalformedResponseError);
    expect(callsTo('/locations')).toHaveLength(3);

    sim.clearFaults();
    sim.resetCalls();
    sim.inject({ path: '/locations', times: 2, fault: { type: 'truncated' } });
    expect((await api.listLocations()).items.length).toBe(sim.data.locations.size);
    expect(callsTo('/locations')).toHaveLength(3);
  });

  it('keeps to the concurrency limit towards the server', async () => {
    sim.setLatency(20);
    try {
      const { client: api } = makeClient({ maxConcurrency: 3 });
      await Promise.all(Array.from({ length: 30 }, () => api.listLocations()));
      expect(sim.stats().maxInFlight).toBeLessThanOrEqual(3);
      expect(api.stats().limiterWaitMs).toBeGreaterThan(0);
    } finally {
      sim.setLatency(0);
    }
  });

  it('runCheck prints the location count, or the auth failure', async () => {
    const env = {
      TIMETAP_API_KEY: sim.credentials.apiKey,
      TIMETAP_PRIVATE_KEY: sim.credentials.privateKey,
      TIMETAP_BASE_URL: sim.url,
    };
    const lines: string[] = [];
    const redactor = createRedactor();
    const ok = await runCheck({
      config: loadConfig(env, ['timetap']),
      logger: rawLogger,
      redactor,
      out: (l) => lines.push(l),
      err: (l) => lines.push(`stderr: ${l}`),
    });
    expect(ok).toBe(0);
    expect(lines).toEqual([`ok: ${sim.data.locations.size} locations (base URL ${sim.url})`]);

    lines.length = 0;
    const bad = await runCheck({
      config: loadConfig({ ...env, TIMETAP_PRIVATE_KEY: 'wrong-private-key' }, ['timetap']),
      logger: rawLogger,
      redactor,
      out: (l) => lines.push(l),
      err: (l) => lines.push(`stderr: ${l}`),
    });
    expect(bad).toBe(1);
    expect(lines).toEqual([`stderr: error: ${AUTH_FAILURE_MESSAGE}`]);
    errorMessages.push(...lines);
  });

  // Runs last: it reads what every test above logged.
  it('never logged a secret nor put one in an error message', () => {
    expect(logLines.length).toBeGreaterThan(50);
    expect(tokensSeen.size).toBeGreaterThanOrEqual(3);
    const { apiKey, privateKey } = sim.credentials;
    const secrets = [apiKey, privateKey, computeSignature(apiKey, privateKey), ...tokensSeen];
    for (const text of [...logLines, ...errorMessages]) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
    expect(logLines.some((l) => l.includes('"level":20') && l.includes('GET /sessionToken'))).toBe(true);
  });
});
