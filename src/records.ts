/**
 * The records of an account, one type per TimeTap kind: what the API client parses
 * (src/timetap/schemas.ts, appointment-schemas.ts) and the mirror writes (src/db/). TimeTap
 * guarantees ids only, so every other field is optional, and one of the wrong type is read as
 * absent. `raw` is the object exactly as TimeTap sent it: nothing it carries is ever lost.
 *
 * Names: TimeTap's `reason` is a service here, its `professional` a staff member, and a client is a
 * customer of the business (never the API client, which is `TimeTapApi`).
 */

export interface LocationRecord {
  /** `locationId` */
  id: number;
  businessId?: number;
  /** `locationName` */
  name?: string;
  locationType?: string;
  /** An IANA name (legacy ones such as US/Pacific included): see timetap/time-zone.ts. */
  timeZone?: string;
  raw: Record<string, unknown>;
}

export interface StaffRecord {
  /** `professionalId` */
  id: number;
  businessId?: number;
  userName?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  fullName?: string;
  /** `timeZoneCode.timeZoneCode`, e.g. "America/New_York". */
  timeZone?: string;
  raw: Record<string, unknown>;
}

export interface ServiceRecord {
  /** `reasonId` */
  id: number;
  businessId?: number;
  /** `reasonDesc` */
  name?: string;
  /** `visitMinutes` */
  durationMinutes?: number;
  /** `reasonType`: SERVICE, CLASS, PERSONAL... */
  serviceType?: string;
  raw: Record<string, unknown>;
}

/** A customer of the business (TimeTap's `clientId`): personal data, see MIRROR_CLIENT_DATA. */
export interface ClientRecord {
  id: number;
  businessId?: number;
  firstName?: string;
  lastName?: string;
  /** `emailAddress` */
  email?: string;
  /** `cellPhone`, else `homePhone`, else `workPhone` */
  phone?: string;
  city?: string;
  raw: Record<string, unknown>;
}

/** What an appointment report row is (timetap/appointment-kind.ts): only `appointment` is a client booking. */
export type AppointmentKind = 'appointment' | 'class' | 'time_off' | 'other';

export interface AppointmentRecord {
  /** `calendarId` (`calendarid` in some of TimeTap's own examples) */
  id: number;
  businessId?: number;
  locationId?: number;
  staffId?: number;
  serviceId?: number;
  clientId?: number;
  status?: string;
  subStatus?: string;
  /** "YYYY-MM-DD" as TimeTap sends them; an impossible date is left out (raw keeps it). */
  startDate?: string;
  endDate?: string;
  /** HHmm integers (800 = 8:00, 2400 = the end of the day). */
  startTime?: number;
  endTime?: number;
  recurringAppointmentId?: number;
  kind: AppointmentKind;
  /** The copies of other records it nests, those that carry a usable id. */
  nested: {
    location?: LocationRecord;
    staff?: StaffRecord;
    service?: ServiceRecord;
    client?: ClientRecord;
  };
  raw: Record<string, unknown>;
}
