/**
 * Generation of the initial data set: how many objects of each kind, and which staff and services
 * are linked to which location. Sampling is O(links), so 1000 locations x 30 staff x 12 services
 * per staff (360k links) take well under a second. The shape also says how many clients and which
 * appointments there are; those are made elsewhere (clients.ts, appointment-generation.ts) from
 * streams of their own, so that everything generated here stays exactly as it was.
 */
import { formatDay, parseDay, todayUtc } from './dates.js';
import { ID_FIELD, type Kind, MAKERS, type RawObject } from './objects.js';
import { createRandom, mixSeed } from './random.js';
import { shapeAt } from './sparse.js';

export interface DataShape {
  seed: number;
  locations: number;
  staff: number;
  services: number;
  staffPerLocation: number;
  servicesPerLocation: number;
  servicesPerStaff: number;
  clients: number;
  /** "YYYY-MM-DD": what is past (mostly COMPLETED) and what is future (OPEN, PENDING). */
  today: string;
  /** The generated appointments' dates, both ends inclusive; false: none. */
  appointments: AppointmentRange | false;
}

export interface AppointmentRange {
  from: string;
  to: string;
  /**
   * Slots per staff member and location and day: each slot is booked with probability 2/3, so
   * that not every day is full (20 locations x 10 staff x 6 slots over a year make ~290 000).
   */
  perStaffPerDay: number;
}

export interface AppointmentOptions {
  /** Default: a year (365 days) before `today`, so that a backfill has history to read. */
  from?: string;
  /** Default: 14 days after `today`. */
  to?: string;
  /** Default 1. */
  perStaffPerDay?: number;
}

export interface ShapeOptions {
  seed?: number;
  locations?: number;
  staff?: number;
  services?: number;
  staffPerLocation?: number;
  servicesPerLocation?: number;
  servicesPerStaff?: number;
  /** Default 4 per location. */
  clients?: number;
  /** "YYYY-MM-DD"; default today's date in UTC (read once, when the shape is resolved). */
  today?: string;
  /**
   * Default: from a year before `today` to 14 days after it, one slot per staff member and
   * location and day. A test that needs few appointments asks for fewer.
   */
  appointments?: AppointmentOptions | false;
}

/** Default days of appointments before today (history for a backfill) and after it. */
const DEFAULT_HISTORY_DAYS = 365;
const DEFAULT_FUTURE_DAYS = 14;

function checkDate(name: string, text: string): number {
  const day = parseDay(text);
  if (day === undefined) throw new RangeError(`simulator: ${name} must be a date YYYY-MM-DD`);
  return day;
}

function resolveAppointments(options: ShapeOptions, today: number): AppointmentRange | false {
  if (options.appointments === false) return false;
  const given = options.appointments ?? {};
  const from =
    given.from === undefined ? today - DEFAULT_HISTORY_DAYS : checkDate('appointments.from', given.from);
  const to = given.to === undefined ? today + DEFAULT_FUTURE_DAYS : checkDate('appointments.to', given.to);
  if (from > to) throw new RangeError('simulator: appointments.from must not be after appointments.to');
  const perStaffPerDay = given.perStaffPerDay ?? 1;
  if (!Number.isInteger(perStaffPerDay) || perStaffPerDay < 0)
    throw new RangeError('simulator: appointments.perStaffPerDay must be an integer >= 0');
  return { from: formatDay(from), to: formatDay(to), perStaffPerDay };
}

export function resolveShape(options: ShapeOptions = {}): DataShape {
  const seed = options.seed ?? 1;
  const locations = options.locations ?? 5;
  // Two more than one location needs, so that some staff and services belong to no location.
  const staff = options.staff ?? Math.max(locations * 4, (options.staffPerLocation ?? 0) + 2);
  const services = options.services ?? Math.max(locations * 3, (options.servicesPerLocation ?? 0) + 2);
  const staffPerLocation = Math.min(options.staffPerLocation ?? 6, staff);
  const servicesPerLocation = Math.min(options.servicesPerLocation ?? 8, services);
  const servicesPerStaff = Math.min(options.servicesPerStaff ?? 3, servicesPerLocation);
  const clients = options.clients ?? locations * 4;
  for (const [name, value] of Object.entries({ seed, locations, staff, services, clients })) {
    if (!Number.isInteger(value) || value < 0)
      throw new RangeError(`simulator: ${name} must be an integer >= 0`);
  }
  const today = options.today ?? todayUtc();
  const appointments = resolveAppointments(options, checkDate('today', today));
  return {
    seed,
    locations,
    staff,
    services,
    staffPerLocation,
    servicesPerLocation,
    servicesPerStaff,
    clients,
    today,
    appointments,
  };
}

export interface GeneratedData {
  businessId: number;
  locations: Map<number, RawObject>;
  staff: Map<number, RawObject>;
  services: Map<number, RawObject>;
  locationStaff: Map<number, Set<number>>;
  locationServices: Map<number, Set<number>>;
  staffServices: Map<number, Map<number, Set<number>>>;
}

/**
 * Id blocks per kind: locations from 1001, staff from 2001, services from 3001 while every kind
 * fits in a block of 1000 (with headroom for tests that add objects); larger sets use blocks of
 * 10 000, 100 000 ... so that ids never collide across kinds.
 */
export function idBlock(shape: DataShape): number {
  let block = 1000;
  while (block < Math.max(shape.locations, shape.staff, shape.services) + 100) block *= 10;
  return block;
}

/** How many of `total` belong to no location (a few, never so many that `perLocation` cannot be met). */
function orphanCount(total: number, perLocation: number): number {
  return Math.max(0, Math.min(Math.max(2, Math.floor(total / 20)), total - perLocation));
}

/**
 * Display names that two generated objects share, when the set is large enough: names are not
 * keys, and a mirror (or a report grouping by name) must not treat them as such. Both positions
 * of each pair are full objects (see sparse.ts).
 */
const SHARED_NAMES: Partial<Record<Kind, { field: string; from: number; to: number }>> = {
  location: { field: 'locationName', from: 0, to: 3 },
  service: { field: 'reasonDesc', from: 3, to: 5 },
};

function makeAll(shape: DataShape, kind: Kind, base: number, count: number, businessId: number) {
  const objects = new Map<number, RawObject>();
  for (let index = 0; index < count; index++) {
    const id = base + index + 1;
    const object = shapeAt(kind, index, MAKERS[kind]({ seed: shape.seed, businessId, index }, id));
    object[ID_FIELD[kind]] = id;
    objects.set(id, object);
  }
  const shared = SHARED_NAMES[kind];
  const from = shared && objects.get(base + shared.from + 1);
  const to = shared && objects.get(base + shared.to + 1);
  if (shared && from && to) to[shared.field] = from[shared.field];
  return objects;
}

export function generateData(shape: DataShape): GeneratedData {
  const block = idBlock(shape);
  const businessId = 50_000 + (mixSeed(shape.seed, 99) % 50_000);
  const locations = makeAll(shape, 'location', block, shape.locations, businessId);
  const staff = makeAll(shape, 'staff', 2 * block, shape.staff, businessId);
  const services = makeAll(shape, 'service', 3 * block, shape.services, businessId);

  const rng = createRandom(mixSeed(shape.seed, 7));
  // The last few ids of each kind are left out of the pools: they work nowhere (account-wide lists only).
  const staffPool = [...staff.keys()].slice(
    0,
    shape.staff - orphanCount(shape.staff, shape.staffPerLocation),
  );
  const servicePool = [...services.keys()].slice(
    0,
    shape.services - orphanCount(shape.services, shape.servicesPerLocation),
  );

  const locationStaff = new Map<number, Set<number>>();
  const locationServices = new Map<number, Set<number>>();
  const staffServices = new Map<number, Map<number, Set<number>>>();
  for (const locationId of locations.keys()) {
    const staffHere = rng.sampleInPlace(staffPool, shape.staffPerLocation);
    const servicesHere = rng.sampleInPlace(servicePool, shape.servicesPerLocation);
    locationStaff.set(locationId, new Set(staffHere));
    locationServices.set(locationId, new Set(servicesHere));
    const offers = new Map<number, Set<number>>();
    for (const staffId of staffHere) {
      offers.set(staffId, new Set(rng.sampleInPlace(servicesHere, shape.servicesPerStaff)));
    }
    staffServices.set(locationId, offers);
  }
  return { businessId, locations, staff, services, locationStaff, locationServices, staffServices };
}

/**
 * Id bases of the kinds that came later: clients, recurring series and appointments. They sit
 * above the three blocks of `idBlock`, which stay as they were for every shape; the block grows
 * (by tens) when the clients do not fit it. Appointments come last, so their count is unbounded.
 */
export function laterIdBases(shape: DataShape): { client: number; series: number; appointment: number } {
  let block = idBlock(shape);
  while (block < shape.clients + 100) block *= 10;
  return { client: 4 * block, series: 5 * block, appointment: 6 * block };
}
