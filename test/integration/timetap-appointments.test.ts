/**
 * Appointments and clients through the TimeTap client, against the simulator over HTTP: the
 * report's wrapper whatever its names, `calendarid` in lower case, pages shorter than asked, and
 * chunks read completely even while bookings and deletions shift records between pages.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { createRedactor } from '../../src/redact.js';
import type { Simulator } from '../../src/simulator/index.js';
import { DEFAULT_VARIANTS } from '../../src/simulator/variants.js';
import { readAppointmentChunk } from '../../src/timetap/appointment-chunk.js';
import {
  createProcessReportMemory,
  createTimeTapApi,
  type ReportEndpoint,
  type ReportMemory,
} from '../../src/timetap/index.js';
import { testTimeTapConfig } from '../helpers/sync.js';
import { useSimulator } from '../helpers/use-simulator.js';

let sim: Simulator;
const TODAY = '2026-03-16';
const range = { startDate: '2026-03-09', endDate: '2026-03-22' };

function makeClient(reportMemory?: ReportMemory) {
  return createTimeTapApi({
    ...(reportMemory ? { reportMemory } : {}),
    config: testTimeTapConfig(sim, { maxRps: 1000, retries: 1, retryBaseMs: 10 }),
    logger: createLogger({ level: 'silent', redactor: createRedactor() }),
    redactor: createRedactor(),
    backoff: { minTimeoutMs: 10, maxTimeoutMs: 20 },
  });
}

const inRange = () =>
  sim.data
    .findAppointments({ from: range.startDate, to: range.endDate })
    .map((a) => a.calendarId)
    .sort((a, b) => a - b);
const ids = (list: Array<{ id: number }>) => list.map((a) => a.id).sort((a, b) => a - b);

useSimulator(
  { seed: 4, locations: 3, today: TODAY, appointments: { perStaffPerDay: 2 } },
  (started) => (sim = started),
);
beforeEach(() => {
  sim.setPageChurn(undefined);
  sim.setReportWrapper({ list: 'objects', count: 'count' });
  sim.setLowercaseCalendarId(false);
  sim.setReportPaging({});
  sim.setVariants(DEFAULT_VARIANTS);
  sim.resetCalls();
});

describe('appointments', () => {
  it('reads a chunk whole, whatever the wrapper calls its array and its count', async () => {
    sim.setReportWrapper({ list: 'rows', count: 'totalRecords' });
    const read = await readAppointmentChunk(makeClient(), range, { pageSize: 25, maxReads: 3 });
    expect(read.complete).toBe(true);
    expect(ids(read.appointments)).toEqual(inRange());
    expect(read.count).toBe(inRange().length);
    expect(read.reads).toBe(1);
  });

  it('does not stop on pages shorter than asked for (an enforced maximum)', async () => {
    sim.setReportPaging({ maxPageSize: 10 });
    const read = await readAppointmentChunk(makeClient(), range, { pageSize: 25, maxReads: 3 });
    expect(read.complete).toBe(true);
    expect(ids(read.appointments)).toEqual(inRange());
    expect(read.pages).toBe(Math.ceil(inRange().length / 10) + 1);
  });

  it('reads calendarid spelt in lower case, and maps the nested objects', async () => {
    sim.setLowercaseCalendarId(true);
    const api = makeClient();
    const page = await api.appointmentPage(range, 1, 5);
    expect(page.skipped).toEqual([]);
    const [first] = page.items;
    const truth = sim.data.appointments.get(first?.id ?? -1);
    expect(first).toMatchObject({
      id: truth?.calendarId,
      locationId: truth?.location.locationId,
      staffId: truth?.staff.professionalId,
      serviceId: truth?.reason.reasonId,
      clientId: truth?.client?.clientId,
      status: truth?.status,
      startDate: truth?.startDate,
      startTime: truth?.startTime,
    });
    expect(first?.nested.location?.id).toBe(truth?.location.locationId);
    expect((await api.getAppointment(first?.id ?? -1)).id).toBe(first?.id);
  });

  it('reads again when bookings and deletions shift records between pages, and says when it cannot agree', async () => {
    sim.setPageChurn({ bookEvery: 2, deleteEvery: 3 });
    const read = await readAppointmentChunk(makeClient(), range, { pageSize: 5, maxReads: 2 });
    // Each read is disturbed: never complete, never a false "complete".
    expect(read.complete).toBe(false);
    expect(read.reads).toBe(2);
    expect(read.why).toMatch(/the count moved|distinct appointments after \d read\(s\) for a count of/);
    // A count that keeps moving is no reason to read the range in parts.
    expect(read.parts).toBe(1);

    sim.setPageChurn(undefined);
    const calm = await readAppointmentChunk(makeClient(), range, { pageSize: 5, maxReads: 2 });
    expect(calm.complete).toBe(true);
    expect(ids(calm.appointments)).toEqual(inRange());
  });

  it('answers a deleted appointment with NotFoundError at its own URL', async () => {
    const [id] = inRange();
    sim.data.deleteAppointment(id as number);
    await expect(makeClient().getAppointment(id as number)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('the report endpoints and the statuses', () => {
  const ALL = ['PENDING', 'OPEN', 'COMPLETED', 'CANCELLED', 'NO_SHOW'];
  const reportPaths = () =>
    sim.calls.filter((c) => c.path.startsWith('/appointmentList/')).map((c) => `${c.path} ${c.status}`);

  /** A memory that says what it was told. */
  function recordingMemory(initial?: ReportEndpoint) {
    const told: ReportEndpoint[] = [];
    const inner = createProcessReportMemory(initial);
    const memory: ReportMemory = {
      recall: () => inner.recall(),
      remember: async (endpoint) => {
        told.push(endpoint);
        await inner.remember(endpoint);
      },
    };
    return { memory, told };
  }

  const readAll = (api: ReturnType<typeof makeClient>) =>
    readAppointmentChunk(api, { ...range, statuses: ALL }, { pageSize: 25, maxReads: 3 });

  for (const mode of ['absent', 'unreadable'] as const) {
    it(`reads through report + reportCount when reportWithCount is ${mode}, and remembers it`, async () => {
      sim.setVariants({ reportWithCount: mode });
      const { memory, told } = recordingMemory();
      const read = await readAll(makeClient(memory));
      expect(read.complete).toBe(true);
      expect(ids(read.appointments)).toEqual(inRange());
      expect(read.count).toBe(inRange().length);
      expect(told).toEqual(['report']);
      expect(reportPaths().some((p) => p.startsWith('/appointmentList/reportCount 200'))).toBe(true);

      // The next client of the account starts with the pair that works: no reportWithCount at all.
      sim.resetCalls();
      const again = await readAll(makeClient(memory));
      expect(again.complete).toBe(true);
      expect(reportPaths().filter((p) => p.includes('reportWithCount'))).toEqual([]);
      expect(told).toEqual(['report']);
    });
  }

  for (const shape of ['number', 'totalCount'] as const) {
    it(`reads a reportCount that answers ${shape === 'number' ? 'a bare number' : '{totalCount}'}`, async () => {
      sim.setVariants({ reportWithCount: 'absent', reportCount: shape });
      const api = makeClient();
      expect(await api.appointmentCount({ ...range, statuses: ALL })).toBe(inRange().length);
      expect(await api.reportEndpoint()).toBe('report');
    });
  }

  it('goes back to reportWithCount when the remembered report pair stops answering', async () => {
    const { memory, told } = recordingMemory('report');
    sim.inject({ path: '/appointmentList/report', fault: { type: 'status', status: 404 } });
    try {
      const read = await readAll(makeClient(memory));
      expect(read.complete).toBe(true);
      expect(told).toEqual(['reportWithCount']);
    } finally {
      sim.clearFaults();
    }
  });

  it('asks for every status by name: a report without statusList that holds only some loses nothing', async () => {
    sim.setVariants({ statusDefault: ['OPEN', 'PENDING'] });
    const api = makeClient();
    const unnamed = await readAppointmentChunk(api, range, { pageSize: 25, maxReads: 3 });
    expect(unnamed.appointments.length).toBeLessThan(inRange().length); // the variant bites
    sim.resetCalls();
    const named = await readAppointmentChunk(api, { ...range, statuses: ALL }, { pageSize: 25, maxReads: 3 });
    expect(named.complete).toBe(true);
    expect(ids(named.appointments)).toEqual(inRange());
    const pages = sim.calls.filter((c) => c.path === '/appointmentList/reportWithCount');
    expect(pages.length).toBeGreaterThan(0);
    for (const call of pages) expect(call.query.statusList).toBe(ALL.join(','));
  });
});

describe('clients', () => {
  it('lists every client and reads one by id', async () => {
    const api = makeClient();
    const clients = await api.listClients();
    expect(ids(clients.items)).toEqual([...sim.data.clients.keys()].sort((a, b) => a - b));
    const [one] = clients.items;
    expect(await api.getClient(one?.id ?? -1)).toEqual(one);
  });
});
