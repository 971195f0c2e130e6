/**
 * The data set of the write-path benchmark, built the way a walk would hand it over: staff and
 * services as the TimeTap client parses them (from the simulator's own object makers), and per
 * location the links it saw. 1,000 links per location: 50 staff, 50 services, and 18 services for
 * each of the 50 staff. The "changed" variant alters 10% of the entities' content and replaces
 * 10% of each location's links (the replaced ones are new rows, the old ones get tombstoned).
 */
import { cleanJson } from '../src/db/clean.js';
import type { ServiceRecord, StaffRecord } from '../src/records.js';
import { makeService, makeStaff } from '../src/simulator/objects.js';
import { parseService, parseStaff } from '../src/timetap/schemas.js';

export interface LocationSeen {
  locationId: number;
  staffIds: number[];
  serviceIds: number[];
  staffServices: Array<[number, number]>;
}

export interface WriteData {
  staff: StaffRecord[];
  services: ServiceRecord[];
  locations: LocationSeen[];
  entityRows: number;
  linkRows: number;
}

const PER_LOCATION = 50;
const SERVICES_PER_STAFF = 18;
const STAFF_BASE = 100_000;
const SERVICE_BASE = 200_000;

export function buildWriteData(entities: number, links: number, changed: boolean): WriteData {
  const staffCount = Math.ceil(entities / 2);
  const serviceCount = entities - staffCount;
  const locationCount = Math.max(
    1,
    Math.round(links / (PER_LOCATION * 2 + PER_LOCATION * SERVICES_PER_STAFF)),
  );
  const ctx = (index: number) => ({ seed: 11, businessId: 1, index });
  // NUL characters (which the simulator plants in a few objects) removed up front, since the
  // Prisma loop and COPY would fail on them: every method then writes the same content.
  const edit = (raw: Record<string, unknown>, index: number) =>
    cleanJson(changed && index % 10 === 0 ? { ...raw, benchRevision: 2 } : raw, { cleaned: 0 });
  const staff = Array.from({ length: staffCount }, (_, i) => {
    const parsed = parseStaff(edit(makeStaff(ctx(i), STAFF_BASE + i), i));
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.value;
  });
  const services = Array.from({ length: serviceCount }, (_, i) => {
    const parsed = parseService(edit(makeService(ctx(i), SERVICE_BASE + i), i));
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.value;
  });

  const staffId = (location: number, k: number) => STAFF_BASE + ((location * PER_LOCATION + k) % staffCount);
  const serviceId = (location: number, k: number) =>
    SERVICE_BASE + ((location * PER_LOCATION + (k % PER_LOCATION)) % serviceCount);
  const locations: LocationSeen[] = [];
  for (let l = 0; l < locationCount; l += 1) {
    // A replaced link points at the next location's staff or service: never one this location has.
    const swap = (k: number) => changed && k % 10 === 0;
    const staffIds = Array.from({ length: PER_LOCATION }, (_, k) => staffId(swap(k) ? l + 1 : l, k));
    const serviceIds = Array.from({ length: PER_LOCATION }, (_, k) => serviceId(swap(k) ? l + 1 : l, k));
    const staffServices: Array<[number, number]> = [];
    for (let k = 0; k < PER_LOCATION; k += 1) {
      for (let j = 0; j < SERVICES_PER_STAFF; j += 1) {
        // 2 of 18 (11%) replaced by services this staff member does not offer (k+18, k+19).
        const replaced = changed && (j === 0 || j === 9);
        const offset = replaced ? SERVICES_PER_STAFF + (j === 0 ? 0 : 1) : j;
        staffServices.push([staffId(l, k), serviceId(l, k + offset)]);
      }
    }
    locations.push({ locationId: 1 + l, staffIds, serviceIds, staffServices });
  }
  const linkRows = locations.reduce(
    (sum, l) => sum + l.staffIds.length + l.serviceIds.length + l.staffServices.length,
    0,
  );
  return { staff, services, locations, entityRows: staffCount + serviceCount, linkRows };
}
