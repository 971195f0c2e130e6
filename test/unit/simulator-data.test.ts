import { describe, expect, it } from 'vitest';
import { createSimulatorData, resolveShape } from '../../src/simulator/index.js';

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

  it('carries the hard strings: one NUL, emoji, accents and a ~10 kB text', () => {
    const all = strings(generate().snapshot());
    expect(all.filter((s) => s.includes('\u0000'))).toHaveLength(1);
    expect(all.some((s) => /\p{Extended_Pictographic}/u.test(s))).toBe(true);
    expect(all.some((s) => /[éëüñÑ]/.test(s))).toBe(true);
    expect(Math.max(...all.map((s) => Buffer.byteLength(s)))).toBeGreaterThanOrEqual(10_000);
    // Still exactly one NUL in a larger set.
    expect(strings(generate({ locations: 50 }).snapshot()).filter((s) => s.includes('\u0000'))).toHaveLength(
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
