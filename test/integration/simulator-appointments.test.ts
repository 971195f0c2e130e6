import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Appointment, type Simulator, startSimulator } from '../../src/simulator/index.js';
import { login } from '../helpers/simulator-login.js';

type Json = Record<string, unknown>;

const TODAY = '2025-03-10';
const DAY_MS = 86_400_000;
const shift = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

function get(sim: Simulator, token: string | undefined, path: string) {
  return fetch(`${sim.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

async function getJson<T = Json[]>(sim: Simulator, token: string, path: string): Promise<T> {
  const response = await get(sim, token, path);
  expect(response.status, path).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/application\/json/);
  return (await response.json()) as T;
}

async function status(sim: Simulator, token: string | undefined, path: string): Promise<number> {
  const response = await get(sim, token, path);
  await response.arrayBuffer();
  return response.status;
}

const query = (params: Record<string, string | number>) =>
  new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();

interface Counted {
  objects: Json[];
  count: number;
}

const withCount = (sim: Simulator, token: string, params: Record<string, string | number>) =>
  getJson<Counted>(sim, token, `/appointmentList/reportWithCount?${query(params)}`);

/** Every page of a report, in order, until a short page. */
async function walk(sim: Simulator, token: string, params: Record<string, string | number>, pageSize = 100) {
  const rows: Json[] = [];
  for (let pageNumber = 1; ; pageNumber++) {
    const page = await getJson(
      sim,
      token,
      `/appointmentList/report?${query({ ...params, pageSize, pageNumber })}`,
    );
    rows.push(...page);
    if (page.length < pageSize) return rows;
  }
}

/** Report order: startDate, startTime, calendarId. */
const reportOrder = (a: Appointment, b: Appointment) =>
  a.startDate.localeCompare(b.startDate) || a.startTime - b.startTime || a.calendarId - b.calendarId;

/** What a report must answer, computed from the raw data (not through the simulator's index). */
function expected(
  sim: Simulator,
  from: string,
  to: string,
  keep: (a: Appointment) => boolean = () => true,
): Appointment[] {
  return [...sim.data.appointments.values()]
    .filter((a) => a.startDate >= from && a.startDate <= to && keep(a))
    .sort(reportOrder);
}

const ids = (rows: Json[]) => rows.map((r) => r.calendarId as number);
const calendarIds = (rows: Appointment[]) => rows.map((a) => a.calendarId);

describe('appointment report endpoints', () => {
  let sim: Simulator;
  let token: string;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 21, today: TODAY, appointments: { perStaffPerDay: 2 } });
    token = await login(sim);
  });
  afterEach(() => {
    sim.clearFaults();
    sim.setReportWrapper({ list: 'objects', count: 'count' });
    sim.setReportPaging({});
    sim.setLowercaseCalendarId(false);
  });
  afterAll(() => sim.close());

  const range = { startDate: shift(TODAY, -2), endDate: shift(TODAY, 1) };

  it('need the session token, like every data call', async () => {
    for (const path of [
      `/appointmentList/report?${query(range)}`,
      `/appointmentList/reportWithCount?${query(range)}`,
      `/appointments/${[...sim.data.appointments.keys()][0]}`,
      '/clients',
      '/clients/count',
      `/clients/${[...sim.data.clients.keys()][0]}`,
    ]) {
      expect(await status(sim, undefined, path), path).toBe(401);
    }
  });

  it('filter by startDate, inclusive at both ends', async () => {
    const rows = await walk(sim, token, range);
    const want = expected(sim, range.startDate, range.endDate);
    expect(ids(rows)).toEqual(calendarIds(want));
    const dates = new Set(rows.map((r) => r.startDate));
    expect(dates).toEqual(new Set([range.startDate, shift(TODAY, -1), TODAY, range.endDate]));
    // The days just outside have appointments, and they are not in the answer.
    expect(expected(sim, shift(TODAY, -3), shift(TODAY, -3)).length).toBeGreaterThan(0);
    expect(expected(sim, shift(TODAY, 2), shift(TODAY, 2)).length).toBeGreaterThan(0);
    // A single day.
    const one = await walk(sim, token, { startDate: TODAY, endDate: TODAY });
    expect(ids(one)).toEqual(calendarIds(expected(sim, TODAY, TODAY)));
    expect(one.every((r) => r.startDate === TODAY)).toBe(true);
    expect(one.length).toBeGreaterThan(5);
  });

  it('order by startDate, startTime, calendarId (which is not id order)', async () => {
    const rows = await walk(sim, token, range);
    const sorted = [...rows].sort(
      (a, b) =>
        String(a.startDate).localeCompare(String(b.startDate)) ||
        (a.startTime as number) - (b.startTime as number) ||
        (a.calendarId as number) - (b.calendarId as number),
    );
    expect(rows).toEqual(sorted);
    expect(ids(rows)).not.toEqual([...ids(rows)].sort((a, b) => a - b));
  });

  it('answer 400 to a missing or malformed date or list, and to a bad page', async () => {
    const bad: Array<Record<string, string>> = [
      {},
      { startDate: TODAY },
      { endDate: TODAY },
      { startDate: '2025-3-1', endDate: TODAY },
      { startDate: TODAY, endDate: '2025-02-30' },
      { startDate: '10/03/2025', endDate: TODAY },
      { startDate: '', endDate: TODAY },
      { startDate: TODAY, endDate: shift(TODAY, -1) },
      { ...range, statusList: 'OPEN,BOOKED' },
      { ...range, statusList: 'open' },
      { ...range, statusList: '' },
      { ...range, statusList: 'OPEN,' },
      { ...range, locationIdList: '1001,abc' },
      { ...range, staffIdList: '-1' },
      { ...range, reasonIdList: '1.5' },
      { ...range, pageNumber: '0' },
      { ...range, pageSize: 'ten' },
    ];
    for (const params of bad) {
      for (const variant of ['report', 'reportWithCount']) {
        const response = await get(sim, token, `/appointmentList/${variant}?${query(params)}`);
        expect(response.status, `${variant} ${JSON.stringify(params)}`).toBe(400);
        expect(await response.json()).toMatchObject({ error: 'Bad Request' });
      }
    }
  });

  it('filter by statusList, locationIdList, staffIdList and reasonIdList, alone and together', async () => {
    const all = expected(sim, range.startDate, range.endDate);
    const a = all[0]!;
    const b = all.find((x) => x.location.locationId !== a.location.locationId)!;
    const cases: Array<[Record<string, string>, (x: Appointment) => boolean]> = [
      [{ statusList: 'OPEN' }, (x) => x.status === 'OPEN'],
      [{ statusList: 'COMPLETED,NO_SHOW' }, (x) => x.status === 'COMPLETED' || x.status === 'NO_SHOW'],
      [
        { locationIdList: `${a.location.locationId}` },
        (x) => x.location.locationId === a.location.locationId,
      ],
      [
        { locationIdList: `${a.location.locationId},${b.location.locationId}` },
        (x) => [a.location.locationId, b.location.locationId].includes(x.location.locationId),
      ],
      [
        { staffIdList: `${a.staff.professionalId}` },
        (x) => x.staff.professionalId === a.staff.professionalId,
      ],
      [
        { reasonIdList: `${a.reason.reasonId},${b.reason.reasonId}` },
        (x) => [a.reason.reasonId, b.reason.reasonId].includes(x.reason.reasonId),
      ],
      [
        { statusList: 'OPEN,PENDING,CANCELLED', locationIdList: `${b.location.locationId}` },
        (x) =>
          x.status !== 'COMPLETED' &&
          x.status !== 'NO_SHOW' &&
          x.location.locationId === b.location.locationId,
      ],
    ];
    for (const [params, keep] of cases) {
      const want = calendarIds(expected(sim, range.startDate, range.endDate, keep));
      expect(want.length, JSON.stringify(params)).toBeGreaterThan(0);
      expect(want.length, JSON.stringify(params)).toBeLessThan(all.length);
      expect(ids(await walk(sim, token, { ...range, ...params })), JSON.stringify(params)).toEqual(want);
      expect((await withCount(sim, token, { ...range, ...params })).count).toBe(want.length);
    }
  });

  it('answer an empty page with count 0 when nothing matches (unknown ids included)', async () => {
    for (const params of [
      { ...range, locationIdList: '999999' },
      { ...range, staffIdList: '999999' },
      { startDate: '2031-01-01', endDate: '2031-12-31' },
    ]) {
      expect(await withCount(sim, token, params)).toEqual({ objects: [], count: 0 });
      expect(await getJson(sim, token, `/appointmentList/report?${query(params)}`)).toEqual([]);
    }
  });

  it('page: 25 by default, 1-based, pages above the maximum come shorter, past the end is empty', async () => {
    const want = calendarIds(expected(sim, range.startDate, range.endDate));
    expect(want.length).toBeGreaterThan(100); // so that a second page of 100 exists
    const first = await withCount(sim, token, range);
    expect(ids(first.objects)).toEqual(want.slice(0, 25));
    expect(first.count).toBe(want.length);
    expect(ids((await withCount(sim, token, { ...range, pageNumber: 2 })).objects)).toEqual(
      want.slice(25, 50),
    );
    expect(ids((await withCount(sim, token, { ...range, pageSize: 10, pageNumber: 3 })).objects)).toEqual(
      want.slice(20, 30),
    );
    // Asking for more than 100 gives pages of 100: a client must walk on a short page's count.
    const big = await withCount(sim, token, { ...range, pageSize: 1000 });
    expect(ids(big.objects)).toEqual(want.slice(0, 100));
    expect(big.count).toBe(want.length);
    expect(ids((await withCount(sim, token, { ...range, pageSize: 1000, pageNumber: 2 })).objects)).toEqual(
      want.slice(100, 200),
    );
    // Walking in pages of 7 gives every record once.
    expect(ids(await walk(sim, token, range, 7))).toEqual(want);
    const past = await withCount(sim, token, { ...range, pageNumber: Math.ceil(want.length / 25) + 3 });
    expect(past).toEqual({ objects: [], count: want.length });
    expect(
      await getJson(sim, token, `/appointmentList/report?${query({ ...range, pageNumber: 999 })}`),
    ).toEqual([]);
  });

  it('setReportPaging changes the default and the maximum', async () => {
    const want = calendarIds(expected(sim, range.startDate, range.endDate));
    sim.setReportPaging({ defaultPageSize: 7, maxPageSize: 12 });
    expect(ids((await withCount(sim, token, range)).objects)).toEqual(want.slice(0, 7));
    expect(ids((await withCount(sim, token, { ...range, pageSize: 50, pageNumber: 2 })).objects)).toEqual(
      want.slice(12, 24),
    );
    expect(() => sim.setReportPaging({ maxPageSize: 0 })).toThrow(RangeError);
  });

  it('report answers the bare page; reportWithCount the same page with the count', async () => {
    const params = { ...range, statusList: 'OPEN,PENDING', pageSize: 30, pageNumber: 2 };
    const bare = await getJson(sim, token, `/appointmentList/report?${query(params)}`);
    const wrapped = await withCount(sim, token, params);
    expect(Array.isArray(bare)).toBe(true);
    expect(Object.keys(wrapped)).toEqual(['objects', 'count']);
    expect(bare).toEqual(wrapped.objects);
    expect(bare).toHaveLength(30);
    // What the report serves is the stored object.
    for (const row of bare) expect(row).toEqual(sim.data.appointments.get(row.calendarId as number));
  });

  it('reportWithCount uses the configured property names', async () => {
    sim.setReportWrapper({ list: 'data', count: 'totalRecords' });
    const body = await getJson<Json>(sim, token, `/appointmentList/reportWithCount?${query(range)}`);
    expect(Object.keys(body)).toEqual(['data', 'totalRecords']);
    expect(body.totalRecords).toBe(expected(sim, range.startDate, range.endDate).length);
    expect(body.data).toHaveLength(25);
    expect(() => sim.setReportWrapper({ list: 'x', count: 'x' })).toThrow(RangeError);
    expect(() => sim.setReportWrapper({ list: '', count: 'n' })).toThrow(RangeError);
    const other = await startSimulator({ today: TODAY, reportWrapper: { list: 'rows', count: 'n' } });
    try {
      const body2 = await getJson<Json>(
        other,
        await login(other),
        `/appointmentList/reportWithCount?${query(range)}`,
      );
      expect(Object.keys(body2)).toEqual(['rows', 'n']);
    } finally {
      await other.close();
    }
  });

  it('lowercaseCalendarId: every appointment carries calendarid in calendarId’s place', async () => {
    const [id] = calendarIds(expected(sim, TODAY, TODAY));
    sim.setLowercaseCalendarId(true);
    const rows = await getJson(sim, token, `/appointmentList/report?${query(range)}`);
    const wrapped = await withCount(sim, token, range);
    const one = await getJson<Json>(sim, token, `/appointments/${id}`);
    for (const row of [...rows, ...wrapped.objects, one]) {
      expect(row).not.toHaveProperty('calendarId');
      expect(Object.keys(row)[0]).toBe('calendarid');
      expect(typeof row.calendarid).toBe('number');
    }
    expect(one.calendarid).toBe(id);
    sim.setLowercaseCalendarId(false);
    expect(await getJson<Json>(sim, token, `/appointments/${id}`)).toEqual(sim.data.appointments.get(id!));
    const lower = await startSimulator({ today: TODAY, lowercaseCalendarId: true });
    try {
      const [row] = await getJson(lower, await login(lower), `/appointmentList/report?${query(range)}`);
      expect(row).toHaveProperty('calendarid');
    } finally {
      await lower.close();
    }
  });

  it('serve byte-identical reports for the same seed and today', async () => {
    const twin = await startSimulator({ seed: 21, today: TODAY, appointments: { perStaffPerDay: 2 } });
    const other = await startSimulator({ seed: 22, today: TODAY, appointments: { perStaffPerDay: 2 } });
    try {
      const path = `/appointmentList/reportWithCount?${query({ startDate: shift(TODAY, -14), endDate: shift(TODAY, 14), pageSize: 100, pageNumber: 3 })}`;
      const text = async (s: Simulator) => (await get(s, await login(s), path)).text();
      const twinText = await text(twin);
      expect(twinText).toBe(await text(sim));
      expect(await text(other)).not.toBe(twinText);
      const clients = async (s: Simulator) => (await get(s, await login(s), '/clients')).text();
      expect(await clients(twin)).toBe(await clients(sim));
    } finally {
      await twin.close();
      await other.close();
    }
  });

  it('appear in the call log with their query; drop-id strips one record’s calendarId', async () => {
    sim.resetCalls();
    const params = { ...range, statusList: 'OPEN', pageSize: '5' };
    await withCount(sim, token, params);
    await status(sim, token, '/clients/count');
    expect(sim.calls.map((c) => [c.path, c.status, c.authorized])).toEqual([
      ['/appointmentList/reportWithCount', 200, true],
      ['/clients/count', 200, true],
    ]);
    expect(sim.calls[0]!.query).toEqual(params);
    sim.inject({ path: '/appointmentList/reportWithCount', times: 1, fault: { type: 'drop-id' } });
    const dropped = await withCount(sim, token, params);
    expect(dropped.objects).toHaveLength(5);
    expect(dropped.objects.filter((r) => !('calendarId' in r))).toHaveLength(1);
    expect(dropped.objects.every((r) => (r.location as Json).locationId !== undefined)).toBe(true);
  });
});

describe('single appointments and clients', () => {
  let sim: Simulator;
  let token: string;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 22, today: TODAY });
    token = await login(sim);
  });
  afterEach(() => sim.setListPaging({ mode: 'all' }));
  afterAll(() => sim.close());

  it('GET /appointments/{calendarId}: the appointment, or 404', async () => {
    const [id] = sim.data.appointments.keys();
    const one = await getJson<Json>(sim, token, `/appointments/${id}`);
    expect(one).toEqual(sim.data.appointments.get(id!));
    expect(one).toMatchObject({
      calendarId: id,
      status: expect.stringMatching(/^(OPEN|PENDING|COMPLETED|CANCELLED|NO_SHOW)$/),
      startDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      startTime: expect.any(Number),
      location: { locationId: expect.any(Number), locationName: expect.any(String) },
      staff: { professionalId: expect.any(Number), userName: expect.any(String) },
      reason: {
        reasonId: expect.any(Number),
        reasonDesc: expect.any(String),
        visitMinutes: expect.any(Number),
      },
      client: { clientId: expect.any(Number), emailAddress: expect.any(String) },
      fields: expect.any(Array),
    });
    for (const path of [
      '/appointments/999999999',
      '/appointments/abc',
      '/appointments',
      `/appointments/${id}/x`,
    ]) {
      expect(await status(sim, token, path), path).toBe(404);
    }
  });

  it('GET /clients: the whole array unpaged, pages in paged mode; /clients/{id}; /clients/count', async () => {
    const all = await getJson(sim, token, '/clients');
    expect(all).toEqual(sim.data.snapshot().clients);
    expect(all).toHaveLength(20);
    expect(await getJson(sim, token, '/clients?pageSize=3')).toHaveLength(20); // unpaged ignores it
    sim.setListPaging({ mode: 'paged', defaultPageSize: 7 });
    const pages: Json[] = [];
    for (let n = 1; n <= 3; n++) pages.push(...(await getJson(sim, token, `/clients?pageNumber=${n}`)));
    expect(pages.map((c) => c.clientId)).toEqual(all.map((c) => c.clientId));
    expect(await getJson(sim, token, '/clients?pageNumber=4')).toEqual([]);
    expect(await status(sim, token, '/clients?pageNumber=0')).toBe(400);
    sim.setListPaging({ mode: 'all' });

    const id = all[0]!.clientId as number;
    expect(await getJson<Json>(sim, token, `/clients/${id}`)).toEqual(sim.data.clients.get(id));
    expect(String((await getJson<Json>(sim, token, `/clients/${id}`)).notes)).toContain('\u0000');
    for (const path of ['/clients/999999', '/clients/abc', `/clients/${id}/x`]) {
      expect(await status(sim, token, path), path).toBe(404);
    }
    // The count is a bare JSON number.
    const count = await get(sim, token, '/clients/count');
    expect([count.status, await count.text()]).toEqual([200, '20']);
    const added = sim.data.addClient({ firstName: 'Nuño' });
    sim.data.removeClient(id);
    expect(await getJson<number>(sim, token, '/clients/count')).toBe(20);
    expect(await getJson<Json>(sim, token, `/clients/${added}`)).toMatchObject({ firstName: 'Nuño' });
    expect(await status(sim, token, `/clients/${id}`)).toBe(404);
    sim.data.updateClient(added, { city: 'Cañon City' });
    expect((await getJson(sim, token, '/clients')).find((c) => c.clientId === added)).toMatchObject({
      city: 'Cañon City',
    });
  });
});

describe('appointment mutations over HTTP', () => {
  let sim: Simulator;
  let token: string;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 23, today: TODAY });
    token = await login(sim);
  });
  afterAll(() => sim.close());

  const day = (date: string) => walk(sim, token, { startDate: date, endDate: date });

  it('book, reschedule, cancel and delete show in the report, at the URL and in the snapshot', async () => {
    const id = sim.data.bookAppointment({ startDate: '2025-03-12', startTime: 630 });
    expect(ids(await day('2025-03-12'))[0]).toBe(id);
    expect(await getJson<Json>(sim, token, `/appointments/${id}`)).toMatchObject({
      calendarId: id,
      status: 'OPEN',
    });

    sim.data.rescheduleAppointment(id, '2025-03-13', 1900);
    expect(ids(await day('2025-03-12'))).not.toContain(id);
    const moved = await day('2025-03-13');
    expect(ids(moved).at(-1)).toBe(id);
    expect(moved.at(-1)).toMatchObject({ startDate: '2025-03-13', startTime: 1900 });

    sim.data.cancelAppointment(id);
    expect((await day('2025-03-13')).find((r) => r.calendarId === id)).toMatchObject({ status: 'CANCELLED' });
    const open = await walk(sim, token, {
      startDate: '2025-03-13',
      endDate: '2025-03-13',
      statusList: 'OPEN,PENDING',
    });
    expect(ids(open)).not.toContain(id);

    sim.data.deleteAppointment(id);
    expect(await status(sim, token, `/appointments/${id}`)).toBe(404);
    expect(ids(await day('2025-03-13'))).not.toContain(id);
    expect(sim.data.snapshot().appointments.map((a) => a.calendarId)).not.toContain(id);
    const count = (await withCount(sim, token, { startDate: '2025-03-13', endDate: '2025-03-13' })).count;
    expect(count).toBe(expected(sim, '2025-03-13', '2025-03-13').length);
  });
});

describe('switch: page churn', () => {
  let sim: Simulator;
  let token: string;
  const range = { startDate: shift(TODAY, -3), endDate: shift(TODAY, 3) };

  beforeAll(async () => {
    sim = await startSimulator({ seed: 24, today: TODAY, appointments: { perStaffPerDay: 2 } });
    token = await login(sim);
  });
  afterEach(() => sim.setPageChurn(undefined));
  afterAll(() => sim.close());

  const page = (n: number, extra: Record<string, string> = {}) =>
    withCount(sim, token, { ...range, ...extra, pageSize: 10, pageNumber: n });

  it('bookEvery: a booking inside the range pushes every record on by one page place', async () => {
    const before = calendarIds(expected(sim, range.startDate, range.endDate));
    sim.setPageChurn({ bookEvery: 1 });
    const first = await page(1);
    expect(ids(first.objects)).toEqual(before.slice(0, 10));
    const second = await page(2);
    // The last record of page 1 comes again: a naive walk sees it twice and misses the new one.
    expect(ids(second.objects)[0]).toBe(before[9]);
    expect(ids(second.objects)).toEqual(before.slice(9, 19));
    expect(second.count).toBe(before.length + 1);
    const events = sim.churnEvents();
    expect(events.map((e) => [e.page, e.action])).toEqual([
      [1, 'book'],
      [2, 'book'],
    ]);
    const booked = sim.data.appointments.get(events[0]!.calendarId)!;
    expect(booked).toMatchObject({ startDate: range.startDate, startTime: 700 });
    expect(ids((await page(1)).objects).slice(0, 3)).toEqual(
      events.map((e) => e.calendarId).concat(before[0]!),
    );
  });

  it('deleteEvery: a deletion inside the range pulls every record back, so a walk skips one', async () => {
    const before = calendarIds(expected(sim, range.startDate, range.endDate));
    sim.setPageChurn({ deleteEvery: 1 });
    expect(ids((await page(1)).objects)).toEqual(before.slice(0, 10));
    const second = await page(2);
    expect(ids(second.objects)).toEqual(before.slice(11, 21));
    expect(second.count).toBe(before.length - 1);
    const [deleted] = sim.churnEvents().filter((e) => e.action === 'delete');
    expect(deleted?.calendarId).toBe(before[0]);
    expect(await status(sim, token, `/appointments/${before[0]}`)).toBe(404);
  });

  it('cancelEvery: cancelled records leave a walk filtered to open statuses, and stay at their URL', async () => {
    const open = { statusList: 'OPEN,PENDING' };
    const keep = (a: Appointment) => a.status === 'OPEN' || a.status === 'PENDING';
    const before = calendarIds(expected(sim, range.startDate, range.endDate, keep));
    sim.setPageChurn({ cancelEvery: 2 });
    expect(ids((await page(1, open)).objects)).toEqual(before.slice(0, 10));
    expect(ids((await page(2, open)).objects)).toEqual(before.slice(10, 20)); // the churn comes after page 2
    expect(ids((await page(3, open)).objects)).toEqual(before.slice(21, 31));
    const [cancelled] = sim.churnEvents().filter((e) => e.action === 'cancel');
    expect(cancelled).toMatchObject({ page: 2, calendarId: before[0] });
    expect(await getJson<Json>(sim, token, `/appointments/${before[0]}`)).toMatchObject({
      status: 'CANCELLED',
    });
  });

  it('books inside the filters, counts only report pages, and stops when switched off', async () => {
    const [locationId] = sim.data.locations.keys();
    sim.setPageChurn({ bookEvery: 2 });
    const already = sim.churnEvents().length;
    await getJson(sim, token, '/clients');
    await page(1, { locationIdList: String(locationId), statusList: 'PENDING' });
    expect(sim.churnEvents()).toHaveLength(already);
    await page(2, { locationIdList: String(locationId), statusList: 'PENDING' });
    const [event] = sim.churnEvents().slice(already);
    expect(sim.data.appointments.get(event!.calendarId)).toMatchObject({
      location: { locationId },
      status: 'PENDING',
      startDate: range.startDate,
    });
    sim.setPageChurn(undefined);
    for (let n = 1; n <= 4; n++) await page(n);
    expect(sim.churnEvents()).toHaveLength(already + 1);
    expect(() => sim.setPageChurn({ bookEvery: 0 })).toThrow(RangeError);
    expect(() => sim.setPageChurn({ cancelEvery: 1.5 })).toThrow(RangeError);
  });
});

describe('a large account over HTTP', () => {
  it('~290 000 appointments: starts and answers a walk’s pages quickly', async () => {
    let at = performance.now();
    const sim = await startSimulator({
      seed: 25,
      locations: 20,
      staffPerLocation: 10,
      today: '2025-06-01',
      appointments: { from: '2025-01-01', to: '2025-12-31', perStaffPerDay: 6 },
    });
    try {
      const token = await login(sim);
      const year = { startDate: '2025-01-01', endDate: '2025-12-31', pageSize: 100 };
      const first = await withCount(sim, token, year);
      expect(first.count).toBeGreaterThan(250_000);
      expect(first.count).toBeLessThan(330_000);
      expect(performance.now() - at).toBeLessThan(15_000); // start, generation and the first page
      at = performance.now();
      for (let n = 2; n <= 41; n++)
        expect((await withCount(sim, token, { ...year, pageNumber: n })).objects).toHaveLength(100);
      const deep = await withCount(sim, token, { ...year, pageNumber: 2000 });
      expect(deep.objects).toHaveLength(100);
      expect(performance.now() - at).toBeLessThan(5_000);
    } finally {
      await sim.close();
    }
  });
});
