/**
 * What kind of entry an appointment report row is. The report may hold more than client
 * bookings: a public connector says it leaves personal time-off out of its answer, and classes are
 * booked there too. TimeTap documents no field that says which, so the kind is read from what the
 * object carries, the most explicit sign first:
 * 1. the first type field that holds text (`appointmentType`, `type`, `objectType`, `calendarType`,
 *    `eventType`), when it says time off (personal, blocked, break, vacation), a class (group), or
 *    an appointment;
 * 2. a flag (`timeOff`, `isTimeOff`, `isClass`);
 * 3. a class schedule (`classScheduleId`, `classId`) or a reason of `reasonType` CLASS: a class;
 *    a reason of `reasonType` PERSONAL: time off;
 * 4. a client: a client booking (`appointment`); nothing of the above: `other`.
 * The migration that added `appointments.kind` applies the same rules in SQL to the rows mirrored
 * before it: change both together.
 */

import type { AppointmentKind } from '../records.js';

const TYPE_FIELDS = ['appointmentType', 'type', 'objectType', 'calendarType', 'eventType'];
const TIME_OFF = /time.?off|personal|block|break|vacation|unavailab/i;
const CLASS = /class|group/i;
const BOOKING = /appointment|booking/i;

export function appointmentKind(raw: Record<string, unknown>): AppointmentKind {
  // The first type field that holds text decides, when its text says something.
  const text = TYPE_FIELDS.map((field) => raw[field]).find((value) => typeof value === 'string');
  if (typeof text === 'string') {
    if (TIME_OFF.test(text)) return 'time_off';
    if (CLASS.test(text)) return 'class';
    if (BOOKING.test(text)) return 'appointment';
  }
  if (raw.timeOff === true || raw.isTimeOff === true) return 'time_off';
  if (raw.isClass === true) return 'class';
  const reasonType = objectOf(raw.reason)?.reasonType;
  if (present(raw.classScheduleId) || present(raw.classId) || reasonType === 'CLASS') return 'class';
  if (reasonType === 'PERSONAL') return 'time_off';
  const client = objectOf(raw.client);
  if (present(client?.clientId) || present(raw.clientId)) return 'appointment';
  return 'other';
}

function objectOf(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

const present = (value: unknown) => value !== undefined && value !== null && value !== '';
