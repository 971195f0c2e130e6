/**
 * TimeTap behind a CDN and an API gateway, as traffic shows it, through the real client against
 * the simulator: a 401 that is an HTML page (a dead token is still a re-login, refused keys still
 * wrong keys), session tokens spelt `st.api.api.<hex>` (kept out of every log line), 429s without
 * Retry-After, and a large report page that times out or meets a 504 (the reader goes on with
 * smaller pages rather than retrying the same one).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { TimeTapConfig } from '../../src/config.js';
import { AuthError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { createRedactor } from '../../src/redact.js';
import type { Simulator } from '../../src/simulator/index.js';
import { DEFAULT_VARIANTS } from '../../src/simulator/variants.js';
import { readAppointmentChunk } from '../../src/timetap/appointment-chunk.js';
import { createMemorySessionStore, createTimeTapApi, type SessionStore } from '../../src/timetap/index.js';
import { captureLog, testTimeTapConfig } from '../helpers/sync.js';
import { useSimulator } from '../helpers/use-simulator.js';

let sim: Simulator;
const TODAY = '2026-03-16';
const query = {
  startDate: '2026-03-09',
  endDate: '2026-03-22',
  statuses: ['PENDING', 'OPEN', 'COMPLETED', 'CANCELLED', 'NO_SHOW'],
};

function makeClient(options: { config?: Partial<TimeTapConfig>; sessionStore?: SessionStore } = {}) {
  const log = captureLog();
  const redactor = createRedactor();
  const api = createTimeTapApi({
    config: testTimeTapConfig(sim, { maxRps: 1000, retries: 3, retryBaseMs: 10, ...options.config }),
    logger: createLogger({ level: 'debug', redactor, destination: log.stream }),
    redactor,
    backoff: { minTimeoutMs: 10, maxTimeoutMs: 20 },
    ...(options.sessionStore ? { sessionStore: options.sessionStore } : {}),
  });
  return { client: api, log };
}

const truth = () =>
  sim.data
    .findAppointments({ from: query.startDate, to: query.endDate })
    .map((a) => a.calendarId)
    .sort((a, b) => a - b);
const ids = (list: Array<{ id: number }>) => list.map((a) => a.id).sort((a, b) => a - b);
const reportCalls = () => sim.calls.filter((c) => c.path === '/appointmentList/reportWithCount');

useSimulator(
  { seed: 8, locations: 3, today: TODAY, appointments: { perStaffPerDay: 2 } },
  (started) => (sim = started),
);
beforeEach(() => {
  sim.setVariants(DEFAULT_VARIANTS);
  sim.setTokenMaxCalls(undefined);
  sim.clearFaults();
  sim.resetCalls();
});

describe('a gateway in front of TimeTap', () => {
  it('takes an HTML 401 on a data call for a dead token: logs in again and goes on', async () => {
    sim.setVariants({ html401: true });
    sim.setTokenMaxCalls(2);
    const { client: api } = makeClient();
    for (let i = 0; i < 5; i++) expect((await api.listLocations()).items.length).toBe(3);
    const refused = sim.calls.filter((c) => c.status === 401);
    expect(refused.length).toBeGreaterThan(0);
    expect(api.stats().relogins).toBeGreaterThan(0);
  });

  it('still reads an HTML 401 from the login itself as keys refused', async () => {
    sim.setVariants({ html401: true });
    const { client: api } = makeClient({ config: { privateKey: 'not-the-key' } });
    await expect(api.login()).rejects.toBeInstanceOf(AuthError);
    expect(sim.calls.map((c) => c.status)).toEqual([401]);
  });

  it('uses st.api.api.<hex> tokens as it uses any other, and no log line holds one', async () => {
    sim.setVariants({ tokenStyle: 'dotted' });
    sim.setTokenMaxCalls(3);
    const store = createMemorySessionStore();
    const { client: api, log } = makeClient({ sessionStore: store });
    for (let i = 0; i < 4; i++) await api.listLocations();
    const token = await store.get();
    expect(token).toMatch(/^st\.api\.api\.[0-9a-f]{32}$/);
    expect(api.stats().relogins).toBeGreaterThan(0);
    const lines = log.lines.join('');
    expect(lines).toContain('logged in to TimeTap');
    expect(lines).not.toContain(token);
    expect(lines).not.toMatch(/st\.api\.api\.[0-9a-f]{8}/);
  });

  it('retries a 429 that carries no Retry-After after its own backoff', async () => {
    sim.inject({ path: '/locations', times: 2, fault: { type: 'status', status: 429 } });
    const { client: api } = makeClient();
    expect((await api.listLocations()).items.length).toBe(3);
    expect(sim.calls.filter((c) => c.path === '/locations').map((c) => c.status)).toEqual([429, 429, 200]);
    expect(api.stats().retries).toBe(2);
  });
});

describe('a report page too large for the gateway', () => {
  it('after a 504, reads the range with pages half the size; the 504 is not retried as it was', async () => {
    sim.setVariants({ gatewayTimeoutAbove: 40 });
    const { client: api } = makeClient();
    const read = await readAppointmentChunk(api, query, { pageSize: 100, maxReads: 3 });
    expect(read.complete).toBe(true);
    expect(ids(read.appointments)).toEqual(truth());
    const sizes = reportCalls().map((c) => `${c.query.pageSize} ${c.status}`);
    // One 504 per size too large (no retry of it), then pages of 25.
    expect(sizes.filter((s) => s.endsWith(' 504'))).toEqual(['100 504', '50 504']);
    expect(sizes.filter((s) => s.endsWith(' 200') && !s.startsWith('1 ')).every((s) => s === '25 200')).toBe(
      true,
    );
  });

  it('after a timeout, goes on with pages half the size', async () => {
    sim.inject({
      path: '/appointmentList/reportWithCount',
      query: { pageSize: '100' },
      fault: { type: 'hang' },
    });
    const { client: api } = makeClient({ config: { timeoutMs: 300 } });
    const read = await readAppointmentChunk(api, query, { pageSize: 100, maxReads: 3 });
    expect(read.complete).toBe(true);
    expect(ids(read.appointments)).toEqual(truth());
    // The page that timed out was asked once; then pages of 50.
    expect(reportCalls().filter((c) => c.query.pageSize === '100')).toHaveLength(1);
    expect(reportCalls().some((c) => c.query.pageSize === '50' && c.status === 200)).toBe(true);
  });
});
