/**
 * Clients and appointments in the simulator's truth, and the mutations tests use between syncs.
 * Appointments are frozen and indexed by date (appointment-index.ts), so every change replaces
 * the object through the index; clients are plain objects in a Map, like the other kinds.
 * Whatever a mutation generates (a booking's staff member, service, client and time) comes from
 * a PRNG seeded by (seed, purpose, n-th call): the same calls give the same data.
 * Each applied appointment mutation is reported to `onAppointmentChange` (the simulator's
 * webhooks): after it took effect, with the appointment as it now is (a deleted one: as it was).
 */
import { prepareAppointments } from './appointment-generation.js';
import {
  type AppointmentFilter,
  type AppointmentIndex,
  createAppointmentIndex,
} from './appointment-index.js';
import {
  type Appointment,
  appointmentFields,
  appointmentOffset,
  buildAppointment,
  deepFreeze,
  isAppointmentStatus,
  nest,
  zoneOffsetHours,
} from './appointment-objects.js';
import { pickTriple } from './booking.js';
import { generateClients, makeClient } from './clients.js';
import { type DataShape, type GeneratedData, laterIdBases } from './data.js';
import { dayStartMs, formatDay, fromHhmm, MINUTES_PER_DAY, parseDay, toHhmm } from './dates.js';
import { DAY_MS, type RawObject } from './objects.js';
import { createRandom, mixSeed } from './random.js';

export interface ClientData {
  readonly clients: Map<number, RawObject>;
  /** Adds a generated (full) client overridden by `fields` (which may set clientId); returns its id. */
  addClient(fields?: RawObject): number;
  /** Shallow merge; clientId cannot change. Throws for an unknown id. Booked appointments keep their copy. */
  updateClient(clientId: number, fields: RawObject): void;
  /** Throws for an unknown id. Booked appointments keep their nested copy, as history does. */
  removeClient(clientId: number): void;
}

export interface AppointmentData {
  /** The "YYYY-MM-DD" that separates past appointments from future ones. */
  readonly today: string;
  /** By calendarId. Frozen: change appointments only through the methods below. */
  readonly appointments: ReadonlyMap<number, Appointment>;
  /**
   * Books an appointment: what `fields` leaves out is generated (a staff member and a service
   * linked at a location, consistent with any of `location`, `staff`, `reason` given by id; a
   * client; a date in the generated range; a time; a status by date). Returns its calendarId.
   */
  bookAppointment(fields?: Partial<Appointment>): number;
  /** Moves it to `startDate` (and `startTime`, HHmm, default unchanged), keeping its duration. */
  rescheduleAppointment(calendarId: number, startDate: string, startTime?: number): void;
  /** Status CANCELLED (the subStatus goes); it stays in lists and at its URL. */
  cancelAppointment(calendarId: number): void;
  /** Gone: 404 at its URL, in no list. */
  deleteAppointment(calendarId: number): void;
  /** Shallow merge; calendarId cannot change. */
  updateAppointment(calendarId: number, fields: Partial<Appointment>): void;
  /** What a report answers, before paging: matching appointments in report order. Do not mutate. */
  findAppointments(filter: AppointmentFilter): readonly Appointment[];
}

/** What TimeTap posts a webhook for: an appointment created, edited or deleted (never a client). */
export interface AppointmentChange {
  kind: 'created' | 'edited' | 'deleted';
  /** Frozen: the new state, or a deleted appointment's last one. */
  appointment: Appointment;
}

export interface AppointmentHooks {
  /** Called synchronously after each applied mutation; generation is not a mutation. */
  onAppointmentChange?(change: AppointmentChange): void;
}

/** Salts of the mutation streams (generation uses 1-7). */
const BOOK_SALT = 8;
/** A new booking without a date lands at most this many days before today: bookings are recent. */
const RECENT_DAYS = 14;

function checkAppointment(appointment: Appointment): Appointment {
  if (parseDay(appointment.startDate) === undefined)
    throw new RangeError('simulator: an appointment needs a startDate YYYY-MM-DD');
  if (fromHhmm(appointment.startTime) === undefined)
    throw new RangeError('simulator: an appointment needs a startTime in HHmm (e.g. 800)');
  if (!isAppointmentStatus(appointment.status))
    throw new RangeError(`simulator: unknown appointment status ${String(appointment.status)}`);
  return appointment;
}

export function createAppointmentData(
  shape: DataShape,
  links: GeneratedData,
  hooks: AppointmentHooks = {},
): AppointmentData & ClientData {
  const bases = laterIdBases(shape);
  const clients = generateClients(shape.seed, links.businessId, bases.client, shape.clients);
  const generate =
    shape.appointments === false
      ? () => []
      : prepareAppointments({
          seed: shape.seed,
          today: shape.today,
          range: shape.appointments,
          data: links,
          clients,
          bases,
        });
  let nextCalendarId = bases.appointment + 1;
  let built: AppointmentIndex | undefined;
  // Generated on first use (see prepareAppointments); every path to an appointment goes through here.
  const index = (): AppointmentIndex => {
    if (!built) {
      built = createAppointmentIndex(generate());
      // A loop, not Math.max(...ids): a spread of 290 000 arguments overflows the stack.
      for (const calendarId of built.byId.keys()) nextCalendarId = Math.max(nextCalendarId, calendarId + 1);
    }
    return built;
  };
  const todayDay = parseDay(shape.today) as number;
  const range = shape.appointments || { from: formatDay(todayDay - 14), to: formatDay(todayDay + 14) };
  let nextClientIndex = shape.clients;
  let bookings = 0;

  const mustGet = (calendarId: number) => {
    const appointment = index().byId.get(calendarId);
    if (!appointment) throw new Error(`simulator: no appointment with calendarId ${calendarId}`);
    return appointment;
  };
  const mustGetClient = (clientId: number) => {
    const client = clients.get(clientId);
    if (!client) throw new Error(`simulator: no client with id ${clientId}`);
    return client;
  };

  const book = (fields: Partial<Appointment> = {}): number => {
    const appointments = index().byId; // first, so that nextCalendarId counts the generated ones
    const given = structuredClone(fields);
    const rng = createRandom(mixSeed(shape.seed, BOOK_SALT, bookings++));
    const calendarId = typeof given.calendarId === 'number' ? given.calendarId : nextCalendarId;
    if (appointments.has(calendarId)) throw new Error(`simulator: appointment ${calendarId} already exists`);
    const triple = pickTriple(links, rng, {
      locationId: given.location?.locationId,
      staffId: given.staff?.professionalId,
      reasonId: given.reason?.reasonId,
    });
    const location = links.locations.get(triple.locationId);
    const staff = links.staff.get(triple.staffId);
    const service = links.services.get(triple.reasonId);
    const clientIds = [...clients.keys()].sort((a, b) => a - b);
    const clientId = given.client?.clientId ?? (clientIds.length > 0 ? rng.pick(clientIds) : undefined);
    const client = clientId === undefined ? undefined : clients.get(clientId);
    const to = parseDay(range.to) as number;
    const from = Math.min(Math.max(parseDay(range.from) as number, todayDay - RECENT_DAYS), to);
    const day = given.startDate === undefined ? rng.int(from, to) : parseDay(given.startDate);
    if (day === undefined) throw new RangeError('simulator: startDate must be a date YYYY-MM-DD');
    const start = given.startTime === undefined ? 8 * 60 + rng.int(0, 36) * 15 : fromHhmm(given.startTime);
    if (start === undefined) throw new RangeError('simulator: startTime must be HHmm (e.g. 800)');
    const offset = appointmentOffset(location, staff);
    const minutes = service?.visitMinutes;
    const built = buildAppointment({
      status: day < todayDay ? 'COMPLETED' : 'OPEN',
      calendarId,
      businessId: links.businessId,
      day,
      startMinutes: start,
      durationMinutes: typeof minutes === 'number' && minutes > 0 ? minutes : 30,
      clientShiftHours: (zoneOffsetHours(client?.timeZone) ?? offset) - offset,
      location: {
        ...(location ? nest.location(location) : {}),
        locationId: triple.locationId,
        ...given.location,
      },
      staff: { ...(staff ? nest.staff(staff) : {}), professionalId: triple.staffId, ...given.staff },
      reason: { ...(service ? nest.reason(service) : {}), reasonId: triple.reasonId, ...given.reason },
      client:
        clientId === undefined
          ? undefined
          : { ...(client ? nest.client(client) : {}), clientId, ...given.client },
      fields: appointmentFields(rng),
      createdDate: dayStartMs(todayDay) + rng.int(0, DAY_MS - 1),
    });
    const { location: _l, staff: _s, reason: _r, client: _c, ...rest } = given;
    const appointment = deepFreeze(checkAppointment({ ...built, ...rest, calendarId }));
    index().add(appointment);
    nextCalendarId = Math.max(nextCalendarId, calendarId + 1);
    hooks.onAppointmentChange?.({ kind: 'created', appointment });
    return calendarId;
  };

  const replace = (calendarId: number, next: Appointment) => {
    const appointment = deepFreeze(checkAppointment({ ...next, calendarId }));
    index().replace(appointment);
    hooks.onAppointmentChange?.({ kind: 'edited', appointment });
  };

  return {
    today: shape.today,
    get appointments() {
      return index().byId;
    },
    clients,
    bookAppointment: book,
    rescheduleAppointment(calendarId, startDate, startTime) {
      const old = mustGet(calendarId);
      const day = parseDay(startDate);
      if (day === undefined) throw new RangeError('simulator: startDate must be a date YYYY-MM-DD');
      const oldStart = fromHhmm(old.startTime) ?? 0;
      const start = startTime === undefined ? oldStart : fromHhmm(startTime);
      if (start === undefined) throw new RangeError('simulator: startTime must be HHmm (e.g. 800)');
      const oldDays = (parseDay(old.endDate) ?? 0) - (parseDay(old.startDate) ?? 0);
      const duration = Math.max(
        0,
        oldDays * MINUTES_PER_DAY + (fromHhmm(old.endTime) ?? oldStart) - oldStart,
      );
      const end = start + duration;
      const shift = start - oldStart;
      const moved = (hhmm: number) => toHhmm((fromHhmm(hhmm) ?? 0) + shift);
      replace(calendarId, {
        ...old,
        startDate: formatDay(day),
        endDate: formatDay(day + Math.floor(end / MINUTES_PER_DAY)),
        startTime: toHhmm(start),
        endTime: toHhmm(end),
        clientStartTime: moved(old.clientStartTime),
        clientEndTime: moved(old.clientEndTime),
      });
    },
    cancelAppointment(calendarId) {
      const { subStatus: _gone, ...old } = mustGet(calendarId);
      replace(calendarId, { ...old, status: 'CANCELLED' });
    },
    deleteAppointment(calendarId) {
      const appointment = index().remove(calendarId);
      hooks.onAppointmentChange?.({ kind: 'deleted', appointment });
    },
    updateAppointment(calendarId, fields) {
      replace(calendarId, { ...mustGet(calendarId), ...structuredClone(fields) });
    },
    findAppointments: (filter) => index().find(filter),
    addClient(fields = {}) {
      const position = nextClientIndex++;
      let clientId: number;
      if (typeof fields.clientId === 'number') clientId = fields.clientId;
      else {
        clientId = bases.client + position + 1;
        while (clients.has(clientId)) clientId++;
      }
      if (clients.has(clientId)) throw new Error(`simulator: client ${clientId} already exists`);
      // position + 1 is never 0, the position that carries the NUL.
      const made = makeClient(
        { seed: shape.seed, businessId: links.businessId, index: position + 1 },
        clientId,
      );
      clients.set(clientId, { ...made, ...fields, clientId });
      return clientId;
    },
    updateClient(clientId, fields) {
      Object.assign(mustGetClient(clientId), fields, { clientId });
    },
    removeClient(clientId) {
      mustGetClient(clientId);
      clients.delete(clientId);
    },
  };
}
