/**
 * Every record of every list, whether TimeTap pages its lists or not (paging.ts), against the
 * simulator over HTTP in both modes, with the calls counted: a list that is not paged costs one
 * call (two when it happens to be exactly one page long), a paged one a call per page.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { TimeTapConfig } from '../../src/config.js';
import { PageLimitError, TimeTapHttpError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { createRedactor } from '../../src/redact.js';
import type { Simulator } from '../../src/simulator/index.js';
import { readAppointmentChunk } from '../../src/timetap/appointment-chunk.js';
import { createTimeTapApi } from '../../src/timetap/index.js';
import { testTimeTapConfig } from '../helpers/sync.js';
import { useSimulator } from '../helpers/use-simulator.js';

let sim: Simulator;
const PAGE = 4;

function makeClient(overrides: Partial<TimeTapConfig> = {}) {
  return createTimeTapApi({
    config: testTimeTapConfig(sim, {
      maxRps: 1000,
      maxConcurrency: 4,
      retries: 1,
      retryBaseMs: 10,
      retryMaxTimeMs: 5000,
      retryAfterCapMs: 1000,
      pageSize: PAGE,
      ...overrides,
    }),
    logger: createLogger({ level: 'silent', redactor: createRedactor() }),
    redactor: createRedactor(),
    backoff: { minTimeoutMs: 10, maxTimeoutMs: 20 },
  });
}

const staffCalls = () => sim.calls.filter((c) => c.path === '/staff');
const sorted = (ids: Iterable<number>) => [...ids].sort((a, b) => a - b);

// 22 staff: 5 full pages of 4 and a short one.
useSimulator({ seed: 5, locations: 4, staff: 22 }, (started) => (sim = started));
beforeEach(() => {
  sim.clearFaults();
  sim.setListPaging({ mode: 'all' });
  sim.resetCalls();
});

describe('paging', () => {
  it('reads every page of a paged list, a call per page', async () => {
    sim.setListPaging({ mode: 'paged', maxPageSize: 100 });
    const staff = await makeClient().listStaff();
    expect(sorted(staff.items.map((s) => s.id))).toEqual(sorted(sim.data.staff.keys()));
    expect(staffCalls().map((c) => c.query.pageNumber)).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(staffCalls().every((c) => c.query.pageSize === String(PAGE))).toBe(true);
  });

  it('asks once more after a last page that is exactly full, and stops on the empty one', async () => {
    sim.setListPaging({ mode: 'paged', maxPageSize: 100 });
    for (const id of sorted(sim.data.staff.keys()).slice(0, 2)) sim.data.remove('staff', id);
    const staff = await makeClient().listStaff();
    expect(staff.items).toHaveLength(20);
    expect(staffCalls()).toHaveLength(6);
  });

  it('costs one call when the API ignores the paging parameters and sends everything', async () => {
    const staff = await makeClient().listStaff();
    expect(sorted(staff.items.map((s) => s.id))).toEqual(sorted(sim.data.staff.keys()));
    expect(staffCalls()).toHaveLength(1);
  });

  it('costs one extra call, and no duplicate, when an unpaged list is exactly one page long', async () => {
    const locationId = [...sim.data.locations.keys()][0] as number;
    for (const id of [...(sim.data.locationStaff.get(locationId) ?? [])])
      sim.data.unlink('staff', locationId, id);
    const exact = sorted(sim.data.staff.keys()).slice(0, PAGE);
    for (const id of exact) sim.data.link('staff', locationId, id);
    const staff = await makeClient().listStaff(locationId);
    expect(sorted(staff.items.map((s) => s.id))).toEqual(exact);
    expect(staffCalls()).toHaveLength(2);
  });

  it('never returns a list partially: a page that keeps failing fails the list', async () => {
    sim.setListPaging({ mode: 'paged', maxPageSize: 100 });
    sim.inject({ path: '/staff', query: { pageNumber: '3' }, fault: { type: 'status', status: 500 } });
    const error = await makeClient()
      .listStaff()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeTapHttpError);
    expect((error as TimeTapHttpError).status).toBe(500);
  });

  it('takes a 404 on a later page for the end of the list', async () => {
    sim.setListPaging({ mode: 'paged', maxPageSize: 100 });
    sim.inject({ path: '/staff', query: { pageNumber: '6' }, fault: { type: 'status', status: 404 } });
    const staff = await makeClient().listStaff();
    expect(staff.items).toHaveLength(20);
    expect(staffCalls()).toHaveLength(6);
  });

  it('gives up a list whose pages never shorten at TIMETAP_MAX_PAGES, saying so', async () => {
    sim.inject({ path: '/staff', fault: { type: 'endless', records: PAGE } });
    const error = await makeClient({ maxPages: 7 })
      .listStaff()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PageLimitError);
    expect((error as Error).message).toBe(
      'GET /staff: still full pages after 7 pages (TIMETAP_MAX_PAGES); the list was not read to its end, ' +
        'so nothing it omits was marked deleted',
    );
    expect(staffCalls()).toHaveLength(7);
  });

  it('by default, stops such a list at as many pages as hold 100,000 records', async () => {
    sim.inject({ path: '/staff', fault: { type: 'endless', records: 1000 } });
    const error = await makeClient({ pageSize: 1000 })
      .listStaff()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PageLimitError);
    expect((error as Error).message).toContain('still full pages after 100 pages');
    expect(staffCalls()).toHaveLength(100);
  }, 60_000);

  it('gives up a read of appointments whose count is absurd (1e12) at TIMETAP_MAX_PAGES', async () => {
    const range = { startDate: '2000-01-01', endDate: '2100-12-31' };
    sim.inject({
      path: '/appointmentList/reportWithCount',
      fault: { type: 'endless', records: 10, count: 1e12 },
    });
    const error = await readAppointmentChunk(makeClient({ maxPages: 6 }), range, {
      pageSize: 10,
      maxReads: 3,
    })
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PageLimitError);
    expect((error as Error).message).toMatch(
      // The first part of the range a report may cover (MAX_REPORT_DAYS).
      /^GET \/appointmentList\/reportWithCount\?startDate=2000-01-01&endDate=2000-04-02: still full pages after 6 pages/,
    );
    expect(sim.calls.filter((c) => c.path === '/appointmentList/reportWithCount')).toHaveLength(6);
  });
});
