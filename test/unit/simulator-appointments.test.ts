import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type Appointment,
  createSimulatorData,
  resolveShape,
  type ShapeOptions,
  type SimulatorData,
} from '../../src/simulator/index.js';

const TODAY = '2025-03-10';
const generate = (options: ShapeOptions = {}) =>
  createSimulatorData(resolveShape({ today: TODAY, ...options }));

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The objects and links that existed before clients and appointments: they must never change. */
function originalDigest(data: SimulatorData): string {
  const { locations, staff, services, locationStaff, locationServices, staffServices } = data.snapshot();
  return sha256(
    JSON.stringify({ locations, staff, services, locationStaff, locationServices, staffServices }),
  );
}

const DAY_MS = 86_400_000;
const dayOf = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY_MS;
const dateOf = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
const minutes = (hhmm: number) => Math.floor(hhmm / 100) * 60 + (hhmm % 100);
const OFFSETS: Record<string, number> = {
  'America/New_York': -5,
  'America/Chicago': -6,
  'America/Denver': -7,
  'America/Los_Angeles': -8,
};
const offsetOf = (zone: unknown) =>
  OFFSETS[(zone as { timeZoneCode?: string } | undefined)?.timeZoneCode ?? ''];

/** Report order: startDate, startTime, calendarId. */
const reportOrder = (a: Appointment, b: Appointment) =>
  a.startDate.localeCompare(b.startDate) || a.startTime - b.startTime || a.calendarId - b.calendarId;

describe('simulator data: the original objects are unchanged', () => {
  // Computed with the code before clients and appointments existed; other tests compare the
  // mirror with these objects, so any change here is a breaking change.
  const PINNED: Array<[ShapeOptions, string]> = [
    [{ seed: 1 }, 'd6c2a3aed6bd3f7a482a4badf9bb50598bc12fa8223248e641e4249031178011'],
    [{ seed: 11 }, '363fceda3689119a636da6b839300f211870e25e2659b192fbb47acc3eb8832e'],
    [
      { seed: 11, locations: 20, staffPerLocation: 10 },
      '6cf73fd12f4b2d1a1e46d18fd26e5c4c4bac86dd9ea3c1228e2fafbf509dc6e0',
    ],
  ];

  for (const [options, digest] of PINNED) {
    it(`${JSON.stringify(options)}: locations, staff, services and links as pinned`, () => {
      expect(originalDigest(generate(options))).toBe(digest);
      // Whatever the clients and appointments look like.
      expect(originalDigest(generate({ ...options, appointments: false, clients: 0 }))).toBe(digest);
      expect(
        originalDigest(
          generate({ ...options, clients: 3000, today: '2031-07-01', appointments: { perStaffPerDay: 3 } }),
        ),
      ).toBe(digest);
    });
  }
});

describe('simulator data: clients', () => {
  it('4 per location by default, in their own id block, deterministic per seed', () => {
    const data = generate();
    expect(data.clients.size).toBe(20);
    expect([...data.clients.keys()]).toEqual(Array.from({ length: 20 }, (_, i) => 4001 + i));
    expect(generate({ locations: 7 }).clients.size).toBe(28);
    expect(generate({ clients: 3 }).clients.size).toBe(3);
    expect(JSON.stringify(generate().snapshot().clients)).toBe(JSON.stringify(generate().snapshot().clients));
    expect(JSON.stringify(generate({ seed: 2 }).snapshot().clients)).not.toBe(
      JSON.stringify(generate().snapshot().clients),
    );
    // More clients than a block holds: a larger block, above every other kind.
    const many = generate({ clients: 2000 });
    const ids = [...many.clients.keys()];
    expect(Math.min(...ids)).toBeGreaterThan(4000);
    expect(ids.every((id) => !many.locations.has(id) && !many.staff.has(id) && !many.services.has(id))).toBe(
      true,
    );
    expect(new Set(ids).size).toBe(2000);
  });

  it('full clients carry the documented fields and custom fields; sparse ones only id, business and e-mail', () => {
    const data = generate({ clients: 40 });
    const clients = [...data.clients.values()];
    clients.forEach((client, index) => {
      expect(client).toMatchObject({
        clientId: expect.any(Number),
        businessId: data.businessId,
        emailAddress: expect.stringMatching(/@example\.org$/),
      });
      if (index % 5 === 3) {
        expect(Object.keys(client).sort(), `client ${index}`).toEqual([
          'businessId',
          'clientId',
          'emailAddress',
        ]);
        return;
      }
      expect(client).toMatchObject({
        firstName: expect.any(String),
        lastName: expect.any(String),
        cellPhone: expect.stringMatching(/^\(555\) /),
        city: expect.any(String),
        notes: expect.any(String),
        fields: expect.any(Array),
      });
      for (const field of client.fields as unknown[]) {
        expect(field).toEqual({
          fieldId: expect.any(Number),
          fieldName: expect.any(String),
          value: expect.any(String),
        });
      }
    });
    expect(clients.some((c) => (c.fields as unknown[] | undefined)?.length)).toBe(true);
  });

  it('exactly one client has a NUL in its notes, even in a larger set', () => {
    for (const clients of [20, 400]) {
      const withNul = [...generate({ clients }).clients.values()].filter((c) =>
        String(c.notes).includes('\u0000'),
      );
      expect(withNul).toHaveLength(1);
    }
  });

  it('addClient, updateClient, removeClient', () => {
    const data = generate();
    const id = data.addClient({ firstName: 'Zoë' });
    expect(data.clients.get(id)).toMatchObject({
      clientId: id,
      firstName: 'Zoë',
      emailAddress: expect.any(String),
    });
    expect(String(data.clients.get(id)!.notes)).not.toContain('\u0000');
    expect(data.clients.get(data.addClient())).toHaveProperty('lastName');
    expect(() => data.addClient({ clientId: id })).toThrow(/already exists/);
    data.updateClient(id, { city: 'Zürich', clientId: 1 });
    expect(data.clients.get(id)).toMatchObject({ clientId: id, city: 'Zürich' });
    data.removeClient(id);
    expect(data.clients.has(id)).toBe(false);
    expect(data.snapshot().clients.map((c) => c.clientId)).not.toContain(id);
    expect(() => data.updateClient(id, {})).toThrow(/no client/);
    expect(() => data.removeClient(id)).toThrow(/no client/);
    // Deterministic: the same calls give the same client.
    const a = generate();
    const b = generate();
    expect(a.clients.get(a.addClient())).toEqual(b.clients.get(b.addClient()));
  });
});

describe('simulator data: generated appointments', () => {
  it('cover a year before today to 14 days after it (inclusive) by default, and a given range otherwise', () => {
    const data = generate();
    const dates = new Set([...data.appointments.values()].map((a) => a.startDate));
    expect(Math.min(...[...dates].map(dayOf))).toBe(dayOf(TODAY) - 365);
    expect(Math.max(...[...dates].map(dayOf))).toBe(dayOf(TODAY) + 14);
    expect(dates.size).toBe(380);
    const given = generate({ appointments: { from: '2024-12-30', to: '2025-01-02' } });
    expect(new Set([...given.appointments.values()].map((a) => a.startDate))).toEqual(
      new Set(['2024-12-30', '2024-12-31', '2025-01-01', '2025-01-02']),
    );
    expect(generate({ appointments: false }).appointments.size).toBe(0);
    expect(generate({ appointments: { perStaffPerDay: 0 } }).appointments.size).toBe(0);
  });

  it('uses the real date when no today is given', () => {
    const utcDate = () => new Date().toISOString().slice(0, 10);
    const before = utcDate();
    const data = createSimulatorData(resolveShape({ appointments: { perStaffPerDay: 3 } }));
    expect([before, utcDate()]).toContain(data.today); // either side of a midnight
    const today = data.today;
    const days = [...data.appointments.values()].map((a) => dayOf(a.startDate));
    expect(Math.min(...days)).toBeGreaterThanOrEqual(dayOf(today) - 365);
    expect(Math.max(...days)).toBeLessThanOrEqual(dayOf(today) + 14);
  });

  it('books about 2/3 of the slots of each staff member at each location, never every day', () => {
    const data = generate({ appointments: { perStaffPerDay: 3 } });
    let slots = 0;
    for (const [locationId, offers] of data.staffServices) {
      for (const [, services] of offers)
        if (services.size > 0 && data.locations.has(locationId)) slots += 3 * 380;
    }
    const share = data.appointments.size / slots;
    expect(share).toBeGreaterThan(0.55);
    expect(share).toBeLessThan(0.75);
    const perStaffDay = new Map<string, number>();
    for (const a of data.appointments.values()) {
      const key = `${a.startDate} ${a.location.locationId} ${a.staff.professionalId}`;
      perStaffDay.set(key, (perStaffDay.get(key) ?? 0) + 1);
    }
    expect(Math.max(...perStaffDay.values())).toBe(3);
    expect([...perStaffDay.values()].some((n) => n < 3)).toBe(true);
    const one = generate();
    const keys = new Set(
      [...one.appointments.values()].map((a) => `${a.startDate} ${a.staff.professionalId}`),
    );
    expect(keys.size).toBeLessThan(30 * 380);
  });

  it('is deterministic per seed and today', () => {
    const snap = (options: ShapeOptions) => {
      const { appointments, clients } = generate(options).snapshot();
      return JSON.stringify({ appointments, clients });
    };
    expect(snap({ seed: 5 })).toBe(snap({ seed: 5 }));
    expect(snap({ seed: 6 })).not.toBe(snap({ seed: 5 }));
    expect(snap({ seed: 5, today: '2025-03-11' })).not.toBe(snap({ seed: 5 }));
  });

  it('each appointment uses a staff member and a service linked at its location, with nested copies', () => {
    const data = generate({ seed: 3, appointments: { perStaffPerDay: 2 } });
    expect(data.appointments.size).toBeGreaterThan(300);
    for (const a of data.appointments.values()) {
      const locationId = a.location.locationId;
      expect(data.staffServices.get(locationId)?.get(a.staff.professionalId)?.has(a.reason.reasonId)).toBe(
        true,
      );
      expect(a.location.locationName).toBe(data.locations.get(locationId)!.locationName);
      const staff = data.staff.get(a.staff.professionalId)!;
      expect(a.staff.userName).toBe(staff.userName);
      const service = data.services.get(a.reason.reasonId)!;
      expect(a.reason).toEqual({
        reasonId: service.reasonId,
        reasonDesc: service.reasonDesc,
        visitMinutes: service.visitMinutes,
      });
      expect(a.client?.emailAddress).toBe(data.clients.get(a.client!.clientId)!.emailAddress);
      expect(a.businessId).toBe(data.businessId);
      expect(a.calendarId).toBeGreaterThan(6000);
      expect(typeof a.createdDate).toBe('number');
      expect(Array.isArray(a.fields)).toBe(true);
    }
  });

  it('times are HHmm integers; the duration is the service’s; client times are in the client’s zone', () => {
    const data = generate({ seed: 4, appointments: { perStaffPerDay: 4 } });
    let shifted = 0;
    for (const a of data.appointments.values()) {
      for (const t of [a.startTime, a.endTime, a.clientStartTime, a.clientEndTime]) {
        expect(Number.isInteger(t) && t % 100 < 60 && t < 2400 && t >= 0).toBe(true);
      }
      expect(a.endDate).toBe(a.startDate);
      expect(a.startDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(minutes(a.endTime) - minutes(a.startTime)).toBe(a.reason.visitMinutes);
      const location = data.locations.get(a.location.locationId)!;
      const own =
        offsetOf(location.timeZone) ?? offsetOf(data.staff.get(a.staff.professionalId)!.timeZoneCode) ?? -5;
      const client = data.clients.get(a.client!.clientId)!;
      const theirs = offsetOf(client.timeZone) ?? own;
      expect(minutes(a.clientStartTime) - minutes(a.startTime)).toBe((theirs - own) * 60);
      expect(minutes(a.clientEndTime) - minutes(a.clientStartTime)).toBe(a.reason.visitMinutes);
      if (theirs !== own) shifted++;
    }
    expect(shifted).toBeGreaterThan(0);
  });

  it('statuses: past mostly COMPLETED with some CANCELLED and NO_SHOW; future OPEN or PENDING, some CANCELLED', () => {
    const data = generate({ seed: 8, locations: 10, appointments: { perStaffPerDay: 3 } });
    const count = (past: boolean) => {
      const out: Record<string, number> = {};
      for (const a of data.appointments.values()) {
        if (a.startDate < TODAY === past) out[a.status] = (out[a.status] ?? 0) + 1;
      }
      return out;
    };
    const past = count(true);
    const future = count(false);
    expect(Object.keys(past).sort()).toEqual(['CANCELLED', 'COMPLETED', 'NO_SHOW']);
    expect(past.COMPLETED!).toBeGreaterThan(3 * (past.CANCELLED! + past.NO_SHOW!));
    expect(Object.keys(future).sort()).toEqual(['CANCELLED', 'OPEN', 'PENDING']);
    expect(future.CANCELLED!).toBeLessThan(future.OPEN!);
    const subStatuses = [...data.appointments.values()].map((a) => a.subStatus);
    expect(subStatuses.some((s) => s === undefined)).toBe(true);
    expect(subStatuses.some((s) => typeof s === 'string')).toBe(true);
    for (const a of data.appointments.values())
      if ('subStatus' in a) expect(typeof a.subStatus).toBe('string');
  });

  it('a few weekly series share a recurringAppointmentId, staff, service, client and time', () => {
    const data = generate({ seed: 9 });
    const series = new Map<number, Appointment[]>();
    for (const a of data.appointments.values()) {
      if (a.recurringAppointmentId === undefined) continue;
      series.set(a.recurringAppointmentId, [...(series.get(a.recurringAppointmentId) ?? []), a]);
    }
    expect(series.size).toBe(3);
    for (const members of series.values()) {
      expect(members.length).toBeGreaterThanOrEqual(4); // 29 days hold 4 or 5 of each weekday
      const first = members[0]!;
      for (const [i, m] of members.entries()) {
        expect(dayOf(m.startDate) - dayOf(first.startDate)).toBe(7 * i);
        expect([m.startTime, m.location, m.staff, m.reason, m.client, m.createdDate]).toEqual([
          first.startTime,
          first.location,
          first.staff,
          first.reason,
          first.client,
          first.createdDate,
        ]);
      }
    }
  });

  it('are generated on first read, from the data as it was generated', () => {
    const changed = generate({ seed: 14 });
    // Before any appointment is read: unlink a staff member, rename a location, drop a client.
    const [locationId, staffIds] = [...changed.locationStaff][0]!;
    changed.unlink('staff', locationId, [...staffIds][0]!);
    changed.update('location', locationId, { locationName: 'Renamed' });
    changed.removeClient([...changed.clients.keys()][0]!);
    const fresh = generate({ seed: 14 });
    expect(changed.snapshot().appointments).toEqual(fresh.snapshot().appointments);
  });

  it('rejects a bad today, range or perStaffPerDay', () => {
    expect(() => resolveShape({ today: '2025-02-30' })).toThrow(RangeError);
    expect(() => resolveShape({ appointments: { from: '2025-1-1' } })).toThrow(RangeError);
    expect(() => resolveShape({ appointments: { from: '2025-05-02', to: '2025-05-01' } })).toThrow(
      RangeError,
    );
    expect(() => resolveShape({ appointments: { perStaffPerDay: 1.5 } })).toThrow(RangeError);
    expect(() => resolveShape({ clients: -1 })).toThrow(RangeError);
  });
});

describe('simulator data: finding appointments', () => {
  it('answers in report order, inclusive at both ends, with every filter', () => {
    const data = generate({ seed: 12, appointments: { perStaffPerDay: 2 } });
    const all = [...data.appointments.values()];
    const from = dateOf(dayOf(TODAY) - 3);
    const to = dateOf(dayOf(TODAY) + 2);
    const expected = all.filter((a) => a.startDate >= from && a.startDate <= to).sort(reportOrder);
    const found = data.findAppointments({ from, to });
    expect(found.map((a) => a.calendarId)).toEqual(expected.map((a) => a.calendarId));
    expect(found.some((a) => a.startDate === from) && found.some((a) => a.startDate === to)).toBe(true);
    // Report order is not id order.
    expect(found.map((a) => a.calendarId)).not.toEqual(
      [...found.map((a) => a.calendarId)].sort((a, b) => a - b),
    );
    const [first] = found;
    const filters = {
      statuses: ['OPEN', 'NO_SHOW'],
      locationIds: [first!.location.locationId],
      staffIds: [first!.staff.professionalId],
      reasonIds: [first!.reason.reasonId],
    };
    expect(data.findAppointments({ from, to, statuses: filters.statuses })).toEqual(
      expected.filter((a) => filters.statuses.includes(a.status)),
    );
    expect(data.findAppointments({ from, to, locationIds: filters.locationIds })).toEqual(
      expected.filter((a) => a.location.locationId === first!.location.locationId),
    );
    expect(data.findAppointments({ from, to, staffIds: filters.staffIds })).toEqual(
      expected.filter((a) => a.staff.professionalId === first!.staff.professionalId),
    );
    expect(data.findAppointments({ from, to, reasonIds: filters.reasonIds })).toEqual(
      expected.filter((a) => a.reason.reasonId === first!.reason.reasonId),
    );
    expect(data.findAppointments({ from: '2030-01-01', to: '2030-12-31' })).toEqual([]);
  });
});

describe('simulator data: appointment mutations', () => {
  it('bookAppointment generates a linked booking in the range, or takes what it is given', () => {
    const data = generate({ seed: 2 });
    const id = data.bookAppointment();
    const booked = data.appointments.get(id)!;
    expect(data.staffServices.get(booked.location.locationId)?.get(booked.staff.professionalId)).toContain(
      booked.reason.reasonId,
    );
    expect(dayOf(booked.startDate)).toBeGreaterThanOrEqual(dayOf(TODAY) - 14);
    expect(dayOf(booked.startDate)).toBeLessThanOrEqual(dayOf(TODAY) + 14);
    expect(booked.status).toBe(booked.startDate < TODAY ? 'COMPLETED' : 'OPEN');
    expect(data.snapshot().appointments.find((a) => a.calendarId === id)).toEqual(booked);
    expect(id).toBe(Math.max(...[...data.appointments.keys()].filter((k) => k !== id)) + 1);

    const at = 1003;
    const chosen = data.bookAppointment({
      startDate: '2025-04-01',
      startTime: 1430,
      status: 'PENDING',
      location: { locationId: at },
      subStatus: 'WAITLIST',
    });
    const b = data.appointments.get(chosen)!;
    expect(b).toMatchObject({
      startDate: '2025-04-01',
      endDate: '2025-04-01',
      startTime: 1430,
      status: 'PENDING',
    });
    expect(b.subStatus).toBe('WAITLIST');
    expect(b.location).toEqual({ locationId: at, locationName: data.locations.get(at)!.locationName });
    expect(data.staffServices.get(at)?.get(b.staff.professionalId)).toContain(b.reason.reasonId);
    expect(minutes(b.endTime) - 14 * 60 - 30).toBe(b.reason.visitMinutes);
    expect(
      data.findAppointments({ from: '2025-04-01', to: '2025-04-01' }).map((a) => a.calendarId),
    ).toContain(chosen);
    expect(data.bookAppointment({ calendarId: 99_999_999 })).toBe(99_999_999);
    expect(() => data.bookAppointment({ calendarId: id })).toThrow(/already exists/);
    expect(() => data.bookAppointment({ startDate: '01/04/2025' })).toThrow(RangeError);
    expect(() => data.bookAppointment({ startTime: 975 })).toThrow(RangeError);
    expect(() => data.bookAppointment({ location: { locationId: 987_654 } })).toThrow(/no linked/);
    // The same calls on the same seed give the same bookings.
    const again = generate({ seed: 2 });
    expect(again.appointments.get(again.bookAppointment())).toEqual(booked);
  });

  it('appointments are frozen: changes go through the methods, which keep the index right', () => {
    const data = generate({ seed: 2 });
    const [a] = data.findAppointments({ from: TODAY, to: TODAY });
    expect(() => {
      (a as { status: string }).status = 'CANCELLED';
    }).toThrow(TypeError);
    expect(() => {
      (a!.location as Record<string, unknown>).locationName = 'x';
    }).toThrow(TypeError);
  });

  it('reschedule moves it (keeping its duration), cancel keeps it, delete removes it', () => {
    const data = generate({ seed: 2 });
    const [a] = data.findAppointments({ from: TODAY, to: TODAY, statuses: ['OPEN'] });
    const id = a!.calendarId;
    const duration = minutes(a!.endTime) - minutes(a!.startTime);
    data.rescheduleAppointment(id, '2025-05-05', 1015);
    const moved = data.appointments.get(id)!;
    expect(moved).toMatchObject({ startDate: '2025-05-05', endDate: '2025-05-05', startTime: 1015 });
    expect(minutes(moved.endTime) - minutes(moved.startTime)).toBe(duration);
    expect(minutes(moved.clientStartTime) - minutes(moved.startTime)).toBe(
      minutes(a!.clientStartTime) - minutes(a!.startTime),
    );
    expect(data.findAppointments({ from: TODAY, to: TODAY }).map((x) => x.calendarId)).not.toContain(id);
    expect(data.findAppointments({ from: '2025-05-05', to: '2025-05-05' }).map((x) => x.calendarId)).toEqual([
      id,
    ]);
    data.rescheduleAppointment(id, '2025-05-06');
    expect(data.appointments.get(id)!.startTime).toBe(1015);
    expect(() => data.rescheduleAppointment(id, '2025-13-01')).toThrow(RangeError);

    data.cancelAppointment(id);
    expect(data.appointments.get(id)!.status).toBe('CANCELLED');
    expect('subStatus' in data.appointments.get(id)!).toBe(false);
    expect(
      data.findAppointments({ from: '2025-05-06', to: '2025-05-06', statuses: ['CANCELLED'] }),
    ).toHaveLength(1);
    expect(data.findAppointments({ from: '2025-05-06', to: '2025-05-06', statuses: ['OPEN'] })).toHaveLength(
      0,
    );

    data.updateAppointment(id, { subStatus: 'CANCELLED_BY_STAFF', calendarId: 5 });
    expect(data.appointments.get(id)).toMatchObject({ calendarId: id, subStatus: 'CANCELLED_BY_STAFF' });
    expect(() => data.updateAppointment(id, { status: 'LOST' as 'OPEN' })).toThrow(RangeError);

    data.deleteAppointment(id);
    expect(data.appointments.has(id)).toBe(false);
    expect(data.findAppointments({ from: '2025-05-06', to: '2025-05-06' })).toEqual([]);
    expect(data.snapshot().appointments.map((x) => x.calendarId)).not.toContain(id);
    for (const call of [
      () => data.deleteAppointment(id),
      () => data.cancelAppointment(id),
      () => data.rescheduleAppointment(id, TODAY),
    ]) {
      expect(call).toThrow(/no appointment/);
    }
  });

  it('snapshot: appointments and clients sorted by id, deep copies', () => {
    const data = generate({ seed: 2 });
    data.bookAppointment({ calendarId: 6000 });
    const snapshot = data.snapshot();
    const ids = snapshot.appointments.map((a) => a.calendarId);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids[0]).toBe(6000);
    expect(snapshot.appointments).toHaveLength(data.appointments.size);
    const clientIds = snapshot.clients.map((c) => c.clientId as number);
    expect(clientIds).toEqual([...clientIds].sort((a, b) => a - b));
    snapshot.appointments[0]!.status = 'NO_SHOW';
    (snapshot.appointments[1]!.location as Record<string, unknown>).locationName = 'changed';
    snapshot.clients[0]!.firstName = 'changed';
    expect(data.appointments.get(6000)!.status).not.toBe('NO_SHOW');
    expect(data.appointments.get(ids[1]!)!.location.locationName).not.toBe('changed');
    expect(data.clients.get(clientIds[0]!)!.firstName).not.toBe('changed');
  });
});

describe('simulator data: a large account', () => {
  it('generates ~290 000 appointments (20 locations x 10 staff x 6 slots x a year) in seconds', () => {
    const started = performance.now();
    const data = generate({
      seed: 13,
      locations: 20,
      staffPerLocation: 10,
      appointments: { from: '2025-01-01', to: '2025-12-31', perStaffPerDay: 6 },
    });
    const count = data.appointments.size; // generated on this first read
    const generatedMs = performance.now() - started;
    expect(count).toBeGreaterThan(250_000);
    expect(count).toBeLessThan(330_000);
    expect(generatedMs).toBeLessThan(10_000);

    // The index answers a month at once, and a repeated query (the next page of a walk) from its cache.
    let at = performance.now();
    const march = data.findAppointments({
      from: '2025-03-01',
      to: '2025-03-31',
      statuses: ['OPEN', 'COMPLETED'],
    });
    expect(march.length).toBeGreaterThan(10_000);
    expect(performance.now() - at).toBeLessThan(1_000);
    at = performance.now();
    for (let i = 0; i < 100; i++)
      data.findAppointments({ from: '2025-03-01', to: '2025-03-31', statuses: ['OPEN', 'COMPLETED'] });
    expect(performance.now() - at).toBeLessThan(500);
    // A change lands in the right place of a large index.
    const id = data.bookAppointment({ startDate: '2025-03-15', startTime: 0 });
    expect(data.findAppointments({ from: '2025-03-15', to: '2025-03-15' })[0]!.calendarId).toBe(id);
  });
});
