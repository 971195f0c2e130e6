/**
 * Builders of single TimeTap objects (location, professional, reason). Each object gets its own
 * PRNG seeded by (data-set seed, kind, id), so an object's content does not depend on how many
 * were generated before it, and `addX` after start-up is as deterministic as the initial set.
 * The objects carry fields a mirror does not map (address, settings, ...) to prove `raw` keeps them.
 */
import {
  asciiSlug,
  CITIES,
  EMOJI,
  FIRST_NAMES,
  LAST_NAMES,
  LOCATION_SUFFIXES,
  longText,
  SERVICE_NAMES,
  STREETS,
  TIME_ZONES,
  TITLES,
} from './names.js';
import { createRandom, mixSeed, type Random } from './random.js';

export type RawObject = Record<string, unknown>;
export type Kind = 'location' | 'staff' | 'service';

/** 2020-01-01T00:00:00Z: createdDate values are fixed offsets from it, never the clock. */
export const EPOCH_2020 = 1_577_836_800_000;
export const DAY_MS = 86_400_000;
const KIND_SALT: Record<Kind, number> = { location: 1, staff: 2, service: 3 };

export interface ObjectContext {
  seed: number;
  businessId: number;
  /** Position in the generated set; a few positions get the special strings. */
  index: number;
}

function rngFor(ctx: ObjectContext, kind: Kind, id: number): Random {
  return createRandom(mixSeed(ctx.seed, KIND_SALT[kind], id));
}

export function phone(rng: Random): string {
  return `(555) ${rng.int(100, 999)}-${String(rng.int(0, 9999)).padStart(4, '0')}`;
}

function color(rng: Random): string {
  return `#${rng.hex(6)}`;
}

function makeLocation(ctx: ObjectContext, id: number): RawObject {
  const rng = rngFor(ctx, 'location', id);
  const place = rng.pick(CITIES);
  const zone = TIME_ZONES[place.tz] ?? TIME_ZONES[0];
  const virtual = rng.chance(0.15);
  // The second location carries an emoji in its name.
  const name = `${place.city} – ${rng.pick(LOCATION_SUFFIXES)}${ctx.index === 1 ? ` ${rng.pick(EMOJI)}` : ''}`;
  return {
    locationId: id,
    businessId: ctx.businessId,
    locationName: name,
    locationType: virtual ? 'Virtual' : rng.chance(0.1) ? 'Mobile' : 'Office',
    createdDate: EPOCH_2020 + rng.int(0, 1500) * DAY_MS + rng.int(0, DAY_MS - 1),
    privateUrl: `https://www.timetap.com/appts/${rng.hex(12)}-${id}`,
    address: {
      address1: `${rng.int(1, 9999)} ${rng.pick(STREETS)}`,
      address2: rng.chance(0.3) ? `Suite ${rng.int(100, 900)}` : null,
      city: place.city,
      state: place.state,
      zip: `${place.zip}${String(rng.int(0, 99)).padStart(2, '0')}`,
      country: place.state === 'QC' ? 'CA' : 'US',
    },
    phone: phone(rng),
    timeZone: { ...zone },
    active: true,
    settings: {
      allowOnlineBooking: !virtual || rng.chance(0.5),
      bufferMinutes: rng.pick([0, 5, 10, 15]),
      showOnSchedulerPage: rng.chance(0.9),
      sortOrder: ctx.index,
    },
    locationDescription: virtual ? 'Sessions by video call; the link arrives by e-mail.' : '',
  };
}

export function makeStaff(ctx: ObjectContext, id: number): RawObject {
  const rng = rngFor(ctx, 'staff', id);
  const zone = rng.pick(TIME_ZONES);
  // Every 50th staff member from the fifth on has an emoji in their first name.
  const emoji = ctx.index % 50 === 4 ? ` ${rng.pick(EMOJI)}` : '';
  const firstName = `${rng.pick(FIRST_NAMES)}${emoji}`;
  const lastName = rng.pick(LAST_NAMES);
  const slug = `${asciiSlug(firstName)}.${asciiSlug(lastName)}`;
  return {
    professionalId: id,
    businessId: ctx.businessId,
    userName: `${slug}${id}`,
    email: `${slug}.${id}@example.com`,
    firstName,
    lastName,
    fullName: `${firstName} ${lastName}`,
    timeZoneCode: { ...zone },
    phone: phone(rng),
    bookingUrl: `https://www.timetap.com/emp/${asciiSlug(lastName)}-${id}`,
    ...(rng.chance(0.6) ? { imageUrl: `https://cdn.example.com/staff/${id}-${rng.hex(8)}.jpg` } : {}),
    title: rng.pick(TITLES),
    active: true,
    staffType: rng.chance(0.1) ? 'ADMIN' : 'STAFF',
    createdDate: EPOCH_2020 + rng.int(0, 1500) * DAY_MS,
    settings: { color: color(rng), allowOverlap: rng.chance(0.2), maxDailyAppointments: rng.int(4, 16) },
  };
}

export function makeService(ctx: ObjectContext, id: number): RawObject {
  const rng = rngFor(ctx, 'service', id);
  const isClass = rng.chance(0.2);
  const name = rng.pick(SERVICE_NAMES);
  let description = `${name}: ${rng.pick(['Relaxing', 'Thorough', 'Beginner-friendly', 'Advanced'])} session.`;
  // The one NUL character of the data set, and the one ~10 kB text (see the module comment).
  if (ctx.index === 0) description = `${name}\u0000imported from the old system`;
  if (ctx.index === 1) description = longText(10_240);
  return {
    reasonId: id,
    businessId: ctx.businessId,
    reasonDesc: isClass ? `${name} (group)` : name,
    visitMinutes: rng.pick([15, 30, 45, 60, 90]),
    reasonType: isClass ? 'CLASS' : 'SERVICE',
    price: rng.int(0, 200) + rng.pick([0, 0.5, 0.99]),
    currency: 'USD',
    description,
    active: true,
    bufferMinutes: rng.pick([0, 5, 10]),
    maxCapacity: isClass ? rng.int(5, 20) : 1,
    color: color(rng),
    createdDate: EPOCH_2020 + rng.int(0, 1500) * DAY_MS,
  };
}

export const ID_FIELD: Record<Kind, string> = {
  location: 'locationId',
  staff: 'professionalId',
  service: 'reasonId',
};

export const MAKERS: Record<Kind, (ctx: ObjectContext, id: number) => RawObject> = {
  location: makeLocation,
  staff: makeStaff,
  service: makeService,
};
