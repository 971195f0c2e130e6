/**
 * The generated appointments: for every day of the range, every staff member at every location
 * where they offer something gets `perStaffPerDay` slots, each booked with probability 2/3, one
 * after the other from about 8:00 (so one staff member's appointments at one location never
 * overlap). Each (day, location, staff member) has its own PRNG, so a day's appointments do not
 * depend on the rest of the range, and the streams of the older objects are left untouched.
 * The work is O(days x pairs + appointments): a year of 20 locations x 10 staff x 6 slots
 * (~290 000 appointments) takes about a second. Nested objects are shared and frozen.
 */
import {
  type Appointment,
  appointmentFields,
  appointmentOffset,
  buildAppointment,
  nest,
  pickStatus,
  zoneOffsetHours,
} from './appointment-objects.js';
import type { GeneratedData } from './data.js';
import { dayStartMs, formatDay, parseDay, weekday } from './dates.js';
import { DAY_MS, type RawObject } from './objects.js';
import { createRandom, createReseedableRandom, mixSeed } from './random.js';

/** Salts of this module's streams; objects.ts uses 1-3, clients.ts 4, data.ts's links 7. */
const APPOINTMENT_SALT = 5;
const SERIES_SALT = 6;

const DAY_START = 8 * 60;
/** Nothing ends after 20:00, so that client times (at most 3 hours off) stay on the same day. */
const LAST_END = 20 * 60;
const BOOKED_SHARE = 2 / 3;
const SERIES_COUNT = 3;

export interface GenerationInput {
  seed: number;
  today: string;
  range: { from: string; to: string; perStaffPerDay: number };
  data: Pick<
    GeneratedData,
    'businessId' | 'locations' | 'staff' | 'services' | 'locationStaff' | 'staffServices'
  >;
  clients: Map<number, RawObject>;
  bases: { series: number; appointment: number };
}

interface Reason {
  nested: Appointment['reason'];
  minutes: number;
}

interface Pair {
  locationId: number;
  staffId: number;
  location: Appointment['location'];
  staff: Appointment['staff'];
  reasons: Reason[];
  offset: number;
}

interface Person {
  nested: NonNullable<Appointment['client']>;
  offset: number | undefined;
}

interface Series {
  weekday: number;
  reason: Reason;
  client: Person | undefined;
  startMinutes: number;
  id: number;
  createdDate: number;
}

const ascending = (ids: Iterable<number>) => [...ids].sort((a, b) => a - b);

function minutesOf(service: RawObject): number {
  const minutes = service.visitMinutes;
  return typeof minutes === 'number' && Number.isInteger(minutes) && minutes > 0 ? minutes : 30;
}

/** Every (location, staff member) pair with something to offer, nested copies built once each. */
function pairsOf(data: GenerationInput['data']): Pair[] {
  const frozen = <T>(value: T) => Object.freeze(value);
  const staffNested = new Map<number, Appointment['staff']>();
  const reasonCache = new Map<number, Reason>();
  const pairs: Pair[] = [];
  for (const locationId of ascending(data.locations.keys())) {
    const location = data.locations.get(locationId) as RawObject;
    const nestedLocation = frozen(nest.location(location)) as Appointment['location'];
    for (const staffId of ascending(data.locationStaff.get(locationId) ?? [])) {
      const staff = data.staff.get(staffId);
      const offered = ascending(data.staffServices.get(locationId)?.get(staffId) ?? []);
      const reasons: Reason[] = [];
      for (const serviceId of offered) {
        const service = data.services.get(serviceId);
        if (!service) continue;
        let reason = reasonCache.get(serviceId);
        if (!reason) {
          reason = { nested: frozen(nest.reason(service)) as Reason['nested'], minutes: minutesOf(service) };
          reasonCache.set(serviceId, reason);
        }
        reasons.push(reason);
      }
      if (!staff || reasons.length === 0) continue;
      let nestedStaff = staffNested.get(staffId);
      if (!nestedStaff) {
        nestedStaff = frozen(nest.staff(staff)) as Appointment['staff'];
        staffNested.set(staffId, nestedStaff);
      }
      const offset = appointmentOffset(location, staff);
      pairs.push({ locationId, staffId, location: nestedLocation, staff: nestedStaff, reasons, offset });
    }
  }
  return pairs;
}

function peopleOf(clients: Map<number, RawObject>): Person[] {
  return ascending(clients.keys()).map((id) => {
    const client = clients.get(id) as RawObject;
    const nested = Object.freeze(nest.client(client)) as Person['nested'];
    return { nested, offset: zoneOffsetHours(client.timeZone) };
  });
}

/** A few weekly series, each on one pair, weekday and time, with one service and one client. */
function seriesOf(input: GenerationInput, pairs: Pair[], people: Person[], fromDay: number) {
  const rng = createRandom(mixSeed(input.seed, SERIES_SALT));
  const chosen = rng.sampleInPlace(
    pairs.map((_, index) => index),
    SERIES_COUNT,
  );
  const byPair = new Map<number, Series>();
  chosen.forEach((pairIndex, k) => {
    const pair = pairs[pairIndex] as Pair;
    byPair.set(pairIndex, {
      weekday: rng.int(0, 6),
      reason: rng.pick(pair.reasons),
      client: people.length > 0 ? rng.pick(people) : undefined,
      startMinutes: DAY_START + rng.int(0, 8) * 15,
      id: input.bases.series + k + 1,
      createdDate: dayStartMs(fromDay - rng.int(7, 60)) + rng.int(0, DAY_MS - 1),
    });
  });
  return byPair;
}

/**
 * Takes what the appointments are made of now (the pairs, their nested copies, the clients, the
 * series: O(links + clients)) and returns the generator, which the data runs on first use. So a
 * test that never reads an appointment does not pay for a large account's, and one that changes
 * links or clients before its first read still gets the appointments of the data as generated.
 */
export function prepareAppointments(input: GenerationInput): () => Appointment[] {
  const fromDay = parseDay(input.range.from);
  const toDay = parseDay(input.range.to);
  const todayDay = parseDay(input.today);
  if (fromDay === undefined || toDay === undefined || todayDay === undefined) {
    throw new RangeError('simulator: appointment dates must be YYYY-MM-DD');
  }
  const pairs = pairsOf(input.data);
  const people = peopleOf(input.clients);
  const series = seriesOf(input, pairs, people, fromDay);
  return () => generate(input, { fromDay, toDay, todayDay }, pairs, people, series);
}

function generate(
  input: GenerationInput,
  { fromDay, toDay, todayDay }: { fromDay: number; toDay: number; todayDay: number },
  pairs: Pair[],
  people: Person[],
  series: Map<number, Series>,
): Appointment[] {
  const latestCreated = dayStartMs(todayDay + 1) - 1;
  const slots = input.range.perStaffPerDay;
  const out: Appointment[] = [];
  let nextId = input.bases.appointment + 1;
  // One generator, reseeded per (day, location, staff member): a fresh one each would allocate ~1M.
  const rng = createReseedableRandom(0);

  for (let day = fromDay; day <= toDay; day++) {
    const startDate = formatDay(day);
    const past = day < todayDay;
    const dayOfWeek = weekday(day);
    for (let p = 0; p < pairs.length; p++) {
      const pair = pairs[p] as Pair;
      rng.reseed(mixSeed(input.seed, APPOINTMENT_SALT, day, pair.locationId, pair.staffId));
      const own = series.get(p);
      const member = own !== undefined && own.weekday === dayOfWeek ? own : undefined;
      let cursor = member ? member.startMinutes : DAY_START + rng.int(0, 4) * 15;
      for (let slot = 0; slot < slots; slot++) {
        const inSeries = member !== undefined && slot === 0;
        if (!inSeries && !rng.chance(BOOKED_SHARE)) {
          cursor += rng.pick([30, 45, 60]);
          continue;
        }
        const reason = inSeries ? member.reason : rng.pick(pair.reasons);
        if (cursor + reason.minutes > LAST_END) break;
        const person = inSeries ? member.client : people.length > 0 ? rng.pick(people) : undefined;
        const created = inSeries
          ? member.createdDate
          : Math.min(dayStartMs(day - rng.int(1, 45)) + rng.int(0, DAY_MS - 1), latestCreated);
        const { status, subStatus } = pickStatus(rng, past);
        out.push(
          buildAppointment({
            status,
            subStatus,
            calendarId: nextId++,
            businessId: input.data.businessId,
            day,
            startDate,
            startMinutes: cursor,
            durationMinutes: reason.minutes,
            clientShiftHours: (person?.offset ?? pair.offset) - pair.offset,
            location: pair.location,
            staff: pair.staff,
            reason: reason.nested,
            client: person?.nested,
            fields: appointmentFields(rng),
            recurringAppointmentId: inSeries ? member.id : undefined,
            createdDate: created,
          }),
        );
        cursor += reason.minutes + rng.pick([0, 15, 30]);
      }
    }
  }
  return out;
}
