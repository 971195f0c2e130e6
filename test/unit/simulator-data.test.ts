import { describe, expect, it } from 'vitest';
import { createSimulatorData, resolveShape } from '../../src/simulator/index.js';
import { makeStaff } from '../../src/simulator/objects.js';

const generate = (options: Parameters<typeof resolveShape>[0] = {}) =>
  createSimulatorData(resolveShape(options));

/** Every string anywhere inside a value. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, out);
  else if (value && typeof value === 'object') for (const item of Object.values(value)) strings(item, out);
  return out;
}

function locationsOf(links: Map<number, Set<number>>, id: number): number {
  let count = 0;
  for (const ids of links.values()) if (ids.has(id)) count++;
  return count;
}

describe('simulator data generation', () => {
  it('is deterministic by seed', () => {
    const a = JSON.stringify(generate({ seed: 42 }).snapshot());
    const b = JSON.stringify(generate({ seed: 42 }).snapshot());
    const c = JSON.stringify(generate({ seed: 43 }).snapshot());
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('has the default sizes, id blocks and per-location counts', () => {
    const data = generate();
    expect([data.locations.size, data.staff.size, data.services.size]).toEqual([5, 20, 15]);
    expect([...data.locations.keys()]).toEqual([1001, 1002, 1003, 1004, 1005]);
    expect(Math.min(...data.staff.keys())).toBe(2001);
    expect(Math.min(...data.services.keys())).toBe(3001);
    for (const [id, location] of data.locations) {
      expect(location.locationId).toBe(id);
      expect(data.locationStaff.get(id)?.size).toBe(6);
      expect(data.locationServices.get(id)?.size).toBe(8);
      const offers = data.staffServices.get(id)!;
      expect([...offers.keys()].sort()).toEqual([...data.locationStaff.get(id)!].sort());
      for (const serviceIds of offers.values()) {
        expect(serviceIds.size).toBe(3);
        for (const serviceId of serviceIds) expect(data.locationServices.get(id)!.has(serviceId)).toBe(true);
      }
    }
    for (const [id, staff] of data.staff) expect(staff.professionalId).toBe(id);
    for (const [id, service] of data.services) expect(service.reasonId).toBe(id);
  });

  it('overlaps realistically: shared staff and services, and some that work nowhere', () => {
    const data = generate();
    const staffCounts = [...data.staff.keys()].map((id) => locationsOf(data.locationStaff, id));
    const serviceCounts = [...data.services.keys()].map((id) => locationsOf(data.locationServices, id));
    expect(staffCounts.some((n) => n >= 2)).toBe(true);
    expect(serviceCounts.some((n) => n >= 2)).toBe(true);
    expect(staffCounts.filter((n) => n === 0).length).toBeGreaterThanOrEqual(2);
    expect(serviceCounts.filter((n) => n === 0).length).toBeGreaterThanOrEqual(2);
  });

  // Locations, staff and services; the clients carry their own NUL (see simulator-appointments).
  const original = (data: ReturnType<typeof generate>) => {
    const { locations, staff, services } = data.snapshot();
    return { locations, staff, services };
  };

  it('carries the hard strings: one NUL, emoji, accents and a ~10 kB text', () => {
    const all = strings(original(generate()));
    expect(all.filter((s) => s.includes('\u0000'))).toHaveLength(1);
    expect(all.some((s) => /\p{Extended_Pictographic}/u.test(s))).toBe(true);
    expect(all.some((s) => /[éëüñÑ]/.test(s))).toBe(true);
    expect(Math.max(...all.map((s) => Buffer.byteLength(s)))).toBeGreaterThanOrEqual(10_000);
    // Still exactly one NUL in a larger set.
    expect(strings(original(generate({ locations: 50 }))).filter((s) => s.includes('\u0000'))).toHaveLength(
      1,
    );
  });

  it('generates the large shapes with the requested link counts', () => {
    const medium = generate({
      locations: 100,
      staffPerLocation: 30,
      servicesPerLocation: 40,
      servicesPerStaff: 12,
    });
    expect(medium.snapshot().staffServices).toHaveLength(100 * 30 * 12);
    const large = generate({
      locations: 1000,
      staff: 6000,
      services: 2000,
      staffPerLocation: 30,
      servicesPerLocation: 40,
      servicesPerStaff: 12,
    });
    expect([large.locations.size, large.staff.size, large.services.size]).toEqual([1000, 6000, 2000]);
    let links = 0;
    for (const offers of large.staffServices.values()) for (const ids of offers.values()) links += ids.size;
    expect(links).toBe(360_000);
    // Bigger sets move to larger id blocks so that kinds never share an id.
    const ids = [...large.locations.keys(), ...large.staff.keys(), ...large.services.keys()];
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('simulator data mutations', () => {
  it('removing a staff member removes every link that mentions them', () => {
    const data = generate();
    const [locationId, staffIds] = [...data.locationStaff][0]!;
    const staffId = [...staffIds][0]!;
    data.remove('staff', staffId);
    expect(data.staff.has(staffId)).toBe(false);
    const snapshot = data.snapshot();
    expect(snapshot.locationStaff.some(([, id]) => id === staffId)).toBe(false);
    expect(snapshot.staffServices.some(([, id]) => id === staffId)).toBe(false);
    expect(data.staffServices.get(locationId)!.has(staffId)).toBe(false);
  });

  it('removing a service or a location removes their links', () => {
    const data = generate();
    const serviceId = [...data.locationServices.get(1001)!][0]!;
    data.remove('service', serviceId);
    const snapshot = data.snapshot();
    expect(snapshot.locationServices.some(([, id]) => id === serviceId)).toBe(false);
    expect(snapshot.staffServices.some(([, , id]) => id === serviceId)).toBe(false);
    data.remove('location', 1002);
    const after = data.snapshot();
    expect(after.locations.map((l) => l.locationId)).not.toContain(1002);
    expect(
      [...after.locationStaff, ...after.locationServices, ...after.staffServices].some(([l]) => l === 1002),
    ).toBe(false);
  });

  it('unlinking keeps staffServices consistent', () => {
    const data = generate();
    const staffId = [...data.locationStaff.get(1001)!][0]!;
    data.unlink('staff', 1001, staffId);
    expect(data.locationStaff.get(1001)!.has(staffId)).toBe(false);
    expect(data.staffServices.get(1001)!.has(staffId)).toBe(false);
    const serviceId = [...data.locationServices.get(1003)!][0]!;
    data.unlink('service', 1003, serviceId);
    for (const ids of data.staffServices.get(1003)!.values()) expect(ids.has(serviceId)).toBe(false);
  });

  it('adds, links and updates objects', () => {
    const data = generate();
    const locationId = data.addLocation({ locationName: 'Zürich – Neu' });
    const staffId = data.addStaff();
    const serviceId = data.addService({ reasonDesc: 'New service' });
    expect(data.locations.has(locationId) && !data.locations.has(locationId + 1)).toBe(true);
    expect(data.locations.get(locationId)!.locationName).toBe('Zürich – Neu');
    expect(data.staff.get(staffId)!.professionalId).toBe(staffId);
    expect(data.locationStaff.get(locationId)!.size).toBe(0);
    data.linkStaffService(locationId, staffId, serviceId);
    expect(data.locationStaff.get(locationId)!.has(staffId)).toBe(true);
    expect(data.locationServices.get(locationId)!.has(serviceId)).toBe(true);
    expect(data.staffServices.get(locationId)!.get(staffId)!.has(serviceId)).toBe(true);
    data.unlinkStaffService(locationId, staffId, serviceId);
    expect(data.staffServices.get(locationId)!.get(staffId)!.size).toBe(0);
    data.update('service', serviceId, { reasonDesc: 'Renamed', reasonId: 1 });
    expect(data.services.get(serviceId)).toMatchObject({ reasonDesc: 'Renamed', reasonId: serviceId });
    expect(() => data.link('staff', 999_999, staffId)).toThrow(/no location/);
    expect(() => data.update('staff', 999_999, {})).toThrow();
    expect(() => data.addStaff({ professionalId: staffId })).toThrow(/already exists/);
  });

  it('adds deterministically', () => {
    const a = generate();
    const b = generate();
    expect(a.staff.get(a.addStaff())).toEqual(b.staff.get(b.addStaff()));
  });
});

/** The keys of TimeTap's documented examples, exactly. */
const DOCUMENTED = {
  location: ['businessId', 'createdDate', 'locationId', 'locationName', 'locationType', 'privateUrl'],
  staff: ['businessId', 'email', 'professionalId', 'timeZoneCode', 'userName'],
  service: ['businessId', 'reasonDesc', 'reasonId', 'visitMinutes'],
};
const keysOf = (object: object) => Object.keys(object).sort();
/** Generated objects by position (ids are block + index + 1, in insertion order). */
const byIndex = <T>(map: Map<number, T>) => [...map.values()];

describe('simulator data: sparse objects shaped like the documented examples', () => {
  for (const seed of [1, 11, 42]) {
    it(`seed ${seed}: every 4th staff member, every 4th service, every 5th location is exactly documented`, () => {
      const data = generate({ seed, locations: 12 });
      byIndex(data.staff).forEach((staff, index) => {
        if (index % 4 === 3) {
          expect(keysOf(staff), `staff ${index}`).toEqual(DOCUMENTED.staff);
          expect(keysOf(staff.timeZoneCode as object)).toEqual([
            'timeZoneCode',
            'timeZoneDesc',
            'timeZoneId',
          ]);
        } else {
          expect(staff, `staff ${index}`).toHaveProperty('firstName');
          expect(staff).toHaveProperty('lastName');
          expect(staff).toHaveProperty('title');
          expect('fullName' in staff, `staff ${index}`).toBe(index !== 6);
        }
      });
      byIndex(data.services).forEach((service, index) => {
        if (index % 4 === 2) expect(keysOf(service), `service ${index}`).toEqual(DOCUMENTED.service);
        else expect(service, `service ${index}`).toHaveProperty('reasonType');
      });
      byIndex(data.locations).forEach((location, index) => {
        if (index % 5 === 4) expect(keysOf(location), `location ${index}`).toEqual(DOCUMENTED.location);
        else expect(location, `location ${index}`).toHaveProperty('address');
      });
    });
  }

  it('staff index 6 keeps every full field but fullName', () => {
    const data = generate();
    const six = byIndex(data.staff)[6]!;
    const seven = byIndex(data.staff)[7]!;
    expect(six).toMatchObject({ firstName: expect.any(String), lastName: expect.any(String) });
    const full = makeStaff({ seed: 1, businessId: data.businessId, index: 6 }, six.professionalId as number);
    expect(six).toEqual(Object.fromEntries(Object.entries(full).filter(([key]) => key !== 'fullName')));
    expect(keysOf(seven)).toEqual(DOCUMENTED.staff);
  });

  it('keeps the special strings on full objects', () => {
    const data = generate();
    const services = byIndex(data.services);
    expect(services[0]!.description).toContain('\u0000');
    expect(Buffer.byteLength(services[1]!.description as string)).toBeGreaterThanOrEqual(10_000);
    expect(byIndex(data.locations)[1]!.locationName).toMatch(/\p{Extended_Pictographic}/u);
    const emojiStaff = byIndex(generate({ staff: 60 }).staff)[54]!;
    expect(emojiStaff.firstName).toMatch(/\p{Extended_Pictographic}/u);
    expect(emojiStaff).toHaveProperty('fullName');
  });

  it('has duplicate location names and service names (seed 1 default, seed 11 with 6 locations)', () => {
    for (const options of [{ seed: 1 }, { seed: 11, locations: 6 }]) {
      const data = generate(options);
      const names = byIndex(data.locations).map((l) => l.locationName);
      const descs = byIndex(data.services).map((s) => s.reasonDesc);
      expect(new Set(names).size, JSON.stringify(options)).toBeLessThan(names.length);
      expect(new Set(descs).size, JSON.stringify(options)).toBeLessThan(descs.length);
    }
  });

  it('objects added after start-up are full', () => {
    const data = generate();
    for (let i = 0; i < 12; i++) {
      expect(data.staff.get(data.addStaff())).toHaveProperty('fullName');
      expect(data.services.get(data.addService())).toHaveProperty('reasonType');
      expect(data.locations.get(data.addLocation())).toHaveProperty('address');
    }
  });
});

describe('simulator data: hidden objects', () => {
  it('hide and unhide show in the snapshot, sorted; hidden objects stay in it', () => {
    const data = generate();
    expect(data.snapshot().hidden).toEqual({ locations: [], staff: [], services: [] });
    data.hide('staff', 2009);
    data.hide('staff', 2003);
    data.hide('location', 1004);
    data.hide('service', 3002);
    data.hide('service', 3002);
    expect(data.isHidden('staff', 2003)).toBe(true);
    expect(data.isHidden('location', 2003)).toBe(false);
    const snapshot = data.snapshot();
    expect(snapshot.hidden).toEqual({ locations: [1004], staff: [2003, 2009], services: [3002] });
    expect(snapshot.staff.map((s) => s.professionalId)).toContain(2003);
    expect(snapshot.locations.map((l) => l.locationId)).toContain(1004);
    data.unhide('staff', 2009);
    data.unhide('staff', 2010); // never hidden: nothing happens
    expect(data.snapshot().hidden.staff).toEqual([2003]);
  });

  it('remove also unhides; hiding an unknown object throws', () => {
    const data = generate();
    data.hide('service', 3005);
    data.remove('service', 3005);
    expect(data.snapshot().hidden.services).toEqual([]);
    expect(data.isHidden('service', 3005)).toBe(false);
    expect(() => data.hide('location', 999_999)).toThrow(/no location/);
  });
});
