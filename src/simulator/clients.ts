/**
 * Clients: the people who book. Like the other objects, each client gets its own PRNG seeded by
 * (data-set seed, kind, id), so a client's content does not depend on how many came before, and
 * the streams of locations, staff and services are left exactly as they were. Clients are personal
 * data: the names, e-mail addresses and phone numbers are made up (example.org, 555 numbers).
 */
import { asciiSlug, CITIES, FIRST_NAMES, LAST_NAMES, STREETS, TIME_ZONES } from './names.js';
import { DAY_MS, EPOCH_2020, type ObjectContext, phone, type RawObject } from './objects.js';
import { createRandom, mixSeed } from './random.js';

/** A custom field's value, as clients and appointments carry them in `fields`. */
export interface CustomField {
  fieldId: number;
  fieldName: string;
  value: string;
}

/** Not one of objects.ts's kind salts (1-3), so that no client shares a stream with them. */
const CLIENT_SALT = 4;

/** The account's client fields; the ids are the account's field definitions, not per client. */
const CLIENT_FIELDS = [
  { fieldId: 101, fieldName: 'Preferred language', values: ['English', 'Español', 'Français', 'Deutsch'] },
  { fieldId: 102, fieldName: 'Referral source', values: ['Google', 'A friend', 'Instagram', 'Café flyer'] },
  { fieldId: 103, fieldName: 'Allergies', values: ['None', 'Latex', 'Nuts', 'Lavender oil', 'Ibuprofen'] },
  { fieldId: 104, fieldName: 'Member number', values: [] },
] as const;

const NOTES = [
  'Prefers morning appointments.',
  'Señora García’s daughter; call her cell first.',
  'Wheelchair access needed at the front door.',
  'Pays by invoice; see the “billing” tab.',
  'Hat Angst vor Nadeln – bitte vorher erklären.',
] as const;

/** The keys a sparse client keeps: what a minimal sign-up form leaves behind. */
const SPARSE_CLIENT_KEYS = ['clientId', 'businessId', 'emailAddress'] as const;

/** Every 5th client from the fourth on is sparse; client 0 (the NUL) is never. */
function isSparseClient(index: number): boolean {
  return index % 5 === 3;
}

function fieldsFor(rng: ReturnType<typeof createRandom>, id: number): CustomField[] {
  const out: CustomField[] = [];
  for (const field of CLIENT_FIELDS) {
    if (!rng.chance(0.6)) continue;
    const value = field.values.length > 0 ? rng.pick(field.values) : `M-${id}-${rng.int(100, 999)}`;
    out.push({ fieldId: field.fieldId, fieldName: field.fieldName, value });
  }
  return out;
}

export function makeClient(ctx: ObjectContext, id: number): RawObject {
  const rng = createRandom(mixSeed(ctx.seed, CLIENT_SALT, id));
  const firstName = rng.pick(FIRST_NAMES);
  const lastName = rng.pick(LAST_NAMES);
  const place = rng.pick(CITIES);
  const zone = TIME_ZONES[place.tz] ?? TIME_ZONES[0];
  // The one NUL character among the clients (the services have their own, see objects.ts).
  const notes =
    ctx.index === 0
      ? 'Prefers mornings.\u0000Imported from the old system.'
      : rng.chance(0.6)
        ? rng.pick(NOTES)
        : '';
  return {
    clientId: id,
    businessId: ctx.businessId,
    firstName,
    lastName,
    emailAddress: `${asciiSlug(firstName)}.${asciiSlug(lastName)}.${id}@example.org`,
    cellPhone: phone(rng),
    homePhone: rng.chance(0.3) ? phone(rng) : null,
    address1: `${rng.int(1, 9999)} ${rng.pick(STREETS)}`,
    city: place.city,
    state: place.state,
    zip: `${place.zip}${String(rng.int(0, 99)).padStart(2, '0')}`,
    timeZone: { ...zone },
    notes,
    fields: fieldsFor(rng, id),
    status: 'ACTIVE',
    allowSMS: rng.chance(0.7),
    createdDate: EPOCH_2020 + rng.int(0, 1500) * DAY_MS + rng.int(0, DAY_MS - 1),
  };
}

/** The client as the generated set serves it at `index`: full, or cut down to the sparse keys. */
function clientAt(index: number, client: RawObject): RawObject {
  if (!isSparseClient(index)) return client;
  const out: RawObject = {};
  for (const key of SPARSE_CLIENT_KEYS) if (key in client) out[key] = client[key];
  return out;
}

export function generateClients(
  seed: number,
  businessId: number,
  base: number,
  count: number,
): Map<number, RawObject> {
  const clients = new Map<number, RawObject>();
  for (let index = 0; index < count; index++) {
    const id = base + index + 1;
    clients.set(id, clientAt(index, makeClient({ seed, businessId, index }, id)));
  }
  return clients;
}
