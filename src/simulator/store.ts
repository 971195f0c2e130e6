/**
 * The simulator's truth: raw objects and links in plain Maps that the server reads on every
 * request (nothing is cached), plus helpers that keep the links consistent when tests mutate it.
 * Clients and appointments live in appointment-store.ts and are mixed in here.
 */
import { type Appointment, plainCopy } from './appointment-objects.js';
import {
  type AppointmentData,
  type AppointmentHooks,
  type ClientData,
  createAppointmentData,
} from './appointment-store.js';
import { type DataShape, generateData, idBlock } from './data.js';
import { ID_FIELD, type Kind, MAKERS, type RawObject } from './objects.js';

export type LinkKind = 'staff' | 'service';

export interface SimulatorSnapshot {
  locations: RawObject[];
  staff: RawObject[];
  services: RawObject[];
  /** [locationId, staffId], sorted. */
  locationStaff: Array<[number, number]>;
  /** [locationId, serviceId], sorted. */
  locationServices: Array<[number, number]>;
  /** [locationId, staffId, serviceId], sorted. */
  staffServices: Array<[number, number, number]>;
  /** Ids left out of every list (the objects themselves stay in the arrays above), sorted. */
  hidden: { locations: number[]; staff: number[]; services: number[] };
  /** Sorted by calendarId; deep copies (unfrozen). */
  appointments: Appointment[];
  /** Sorted by clientId. */
  clients: RawObject[];
}

export interface SimulatorData extends AppointmentData, ClientData {
  readonly businessId: number;
  locations: Map<number, RawObject>;
  staff: Map<number, RawObject>;
  services: Map<number, RawObject>;
  locationStaff: Map<number, Set<number>>;
  locationServices: Map<number, Set<number>>;
  staffServices: Map<number, Map<number, Set<number>>>;
  /** Adds a generated object overridden by `fields` (which may set the id); returns its id. */
  addLocation(fields?: RawObject): number;
  addStaff(fields?: RawObject): number;
  addService(fields?: RawObject): number;
  /** Shallow merge; the id field cannot change. Throws for an unknown id. */
  update(kind: Kind, id: number, fields: RawObject): void;
  /** Removes the object and every link that mentions it (and unhides its id). */
  remove(kind: Kind, id: number): void;
  /**
   * Leaves the object out of every list (account-wide, per location, per staff member) while its
   * own URL still answers it: TimeTap's lists may omit inactive or private records. Its links stay,
   * and a hidden location's own lists answer as usual. Throws for an unknown id.
   */
  hide(kind: Kind, id: number): void;
  /** Lists show the object again; a no-op if it was not hidden. */
  unhide(kind: Kind, id: number): void;
  isHidden(kind: Kind, id: number): boolean;
  /** Links a staff member or service to a location (both must exist). */
  link(kind: LinkKind, locationId: number, id: number): void;
  /** Unlinks; also drops the staffServices that depended on the link. */
  unlink(kind: LinkKind, locationId: number, id: number): void;
  /** Also links the staff member and the service to the location if they were not. */
  linkStaffService(locationId: number, staffId: number, serviceId: number): void;
  unlinkStaffService(locationId: number, staffId: number, serviceId: number): void;
  /** Sorted deep copy, for equality assertions against the mirror. */
  snapshot(): SimulatorSnapshot;
}

const byNumber = (a: number, b: number) => a - b;
const byTuple = (a: number[], b: number[]) => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
};

function getOrCreate<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

/** `hooks.onAppointmentChange` hears every applied appointment mutation (see appointment-store.ts). */
export function createSimulatorData(shape: DataShape, hooks: AppointmentHooks = {}): SimulatorData {
  const generated = generateData(shape);
  const block = idBlock(shape);
  const { businessId, locations, staff, services, locationStaff, locationServices, staffServices } =
    generated;
  const maps: Record<Kind, Map<number, RawObject>> = { location: locations, staff, service: services };
  const nextIndex: Record<Kind, number> = {
    location: shape.locations,
    staff: shape.staff,
    service: shape.services,
  };
  const base: Record<Kind, number> = { location: block, staff: 2 * block, service: 3 * block };
  const hidden: Record<Kind, Set<number>> = { location: new Set(), staff: new Set(), service: new Set() };

  const mustGet = (kind: Kind, id: number): RawObject => {
    const object = maps[kind].get(id);
    if (!object) throw new Error(`simulator: no ${kind} with id ${id}`);
    return object;
  };

  const add = (kind: Kind, fields: RawObject = {}): number => {
    const index = nextIndex[kind]++;
    const given = fields[ID_FIELD[kind]];
    let id: number;
    if (typeof given === 'number') {
      id = given;
    } else {
      id = base[kind] + index + 1;
      while (maps[kind].has(id)) id++;
    }
    if (maps[kind].has(id)) throw new Error(`simulator: ${kind} ${id} already exists`);
    // index + 2 keeps added objects away from the positions that carry the NUL and the long text.
    const object = { ...MAKERS[kind]({ seed: shape.seed, businessId, index: index + 2 }, id), ...fields };
    object[ID_FIELD[kind]] = id;
    maps[kind].set(id, object);
    if (kind === 'location') {
      locationStaff.set(id, new Set());
      locationServices.set(id, new Set());
      staffServices.set(id, new Map());
    }
    return id;
  };

  const linkSets = (kind: LinkKind) => (kind === 'staff' ? locationStaff : locationServices);
  // After generateData, from the same Maps: bookings read the links as tests have changed them.
  const people = createAppointmentData(shape, generated, hooks);

  const data: SimulatorData = {
    // Delegated one by one, not spread: a spread would read `appointments` and generate them now.
    today: people.today,
    get appointments() {
      return people.appointments;
    },
    clients: people.clients,
    bookAppointment: people.bookAppointment,
    rescheduleAppointment: people.rescheduleAppointment,
    cancelAppointment: people.cancelAppointment,
    deleteAppointment: people.deleteAppointment,
    updateAppointment: people.updateAppointment,
    findAppointments: people.findAppointments,
    addClient: people.addClient,
    updateClient: people.updateClient,
    removeClient: people.removeClient,
    businessId,
    locations,
    staff,
    services,
    locationStaff,
    locationServices,
    staffServices,
    addLocation: (fields) => add('location', fields),
    addStaff: (fields) => add('staff', fields),
    addService: (fields) => add('service', fields),
    update(kind, id, fields) {
      const object = mustGet(kind, id);
      Object.assign(object, fields);
      object[ID_FIELD[kind]] = id;
    },
    remove(kind, id) {
      mustGet(kind, id);
      maps[kind].delete(id);
      hidden[kind].delete(id);
      switch (kind) {
        case 'location':
          locationStaff.delete(id);
          locationServices.delete(id);
          staffServices.delete(id);
          break;
        case 'staff':
          for (const set of locationStaff.values()) set.delete(id);
          for (const offers of staffServices.values()) offers.delete(id);
          break;
        case 'service':
          for (const set of locationServices.values()) set.delete(id);
          for (const offers of staffServices.values()) for (const set of offers.values()) set.delete(id);
          break;
        default: {
          const never: never = kind;
          throw new Error(`unknown kind ${String(never)}`);
        }
      }
    },
    hide(kind, id) {
      mustGet(kind, id);
      hidden[kind].add(id);
    },
    unhide(kind, id) {
      hidden[kind].delete(id);
    },
    isHidden: (kind, id) => hidden[kind].has(id),
    link(kind, locationId, id) {
      mustGet('location', locationId);
      mustGet(kind, id);
      getOrCreate(linkSets(kind), locationId, () => new Set<number>()).add(id);
    },
    unlink(kind, locationId, id) {
      linkSets(kind).get(locationId)?.delete(id);
      const offers = staffServices.get(locationId);
      if (!offers) return;
      if (kind === 'staff') offers.delete(id);
      else for (const set of offers.values()) set.delete(id);
    },
    linkStaffService(locationId, staffId, serviceId) {
      data.link('staff', locationId, staffId);
      data.link('service', locationId, serviceId);
      const offers = getOrCreate(staffServices, locationId, () => new Map<number, Set<number>>());
      getOrCreate(offers, staffId, () => new Set<number>()).add(serviceId);
    },
    unlinkStaffService(locationId, staffId, serviceId) {
      staffServices.get(locationId)?.get(staffId)?.delete(serviceId);
    },
    snapshot() {
      const sorted = (map: Map<number, RawObject>) =>
        [...map.keys()].sort(byNumber).map((id) => structuredClone(map.get(id) as RawObject));
      const pairs = (links: Map<number, Set<number>>) => {
        const out: Array<[number, number]> = [];
        for (const [locationId, ids] of links) for (const id of ids) out.push([locationId, id]);
        return out.sort(byTuple);
      };
      const triples: Array<[number, number, number]> = [];
      for (const [locationId, offers] of staffServices) {
        for (const [staffId, ids] of offers) for (const id of ids) triples.push([locationId, staffId, id]);
      }
      return {
        locations: sorted(locations),
        staff: sorted(staff),
        services: sorted(services),
        locationStaff: pairs(locationStaff),
        locationServices: pairs(locationServices),
        staffServices: triples.sort(byTuple),
        hidden: {
          locations: [...hidden.location].sort(byNumber),
          staff: [...hidden.staff].sort(byNumber),
          services: [...hidden.service].sort(byNumber),
        },
        appointments: [...people.appointments.keys()]
          .sort(byNumber)
          .map((id) => plainCopy(people.appointments.get(id) as Appointment)),
        clients: sorted(people.clients),
      };
    },
  };
  return data;
}
