/**
 * What an appointment report row is (a client booking, a class, time off, other), which time zone
 * a location names (a `timeZone` object, a legacy `timeZoneCode`, either null), and typed fields
 * that hold only real dates and times: read from what the objects carry.
 */
import { describe, expect, it } from 'vitest';
import { appointmentKind } from '../../src/timetap/appointment-kind.js';
import { isCalendarDate, parseAppointment } from '../../src/timetap/appointment-schemas.js';
import { parseLocation } from '../../src/timetap/schemas.js';
import { isTimeZoneName, locationTimeZone } from '../../src/timetap/time-zone.js';

describe('appointmentKind', () => {
  it('reads the most explicit sign the object carries', () => {
    const client = { clientId: 7 };
    expect(appointmentKind({ calendarId: 1, client })).toBe('appointment');
    expect(appointmentKind({ calendarId: 1, appointmentType: 'TIME_OFF' })).toBe('time_off');
    expect(appointmentKind({ calendarId: 1, type: 'Personal time', client })).toBe('time_off');
    expect(appointmentKind({ calendarId: 1, objectType: 'CLASS_BOOKING', client })).toBe('class');
    expect(appointmentKind({ calendarId: 1, appointmentType: 'APPOINTMENT' })).toBe('appointment');
    expect(appointmentKind({ calendarId: 1, isTimeOff: true })).toBe('time_off');
    expect(appointmentKind({ calendarId: 1, classScheduleId: 12, client })).toBe('class');
    expect(appointmentKind({ calendarId: 1, reason: { reasonId: 3, reasonType: 'CLASS' } })).toBe('class');
    expect(appointmentKind({ calendarId: 1, reason: { reasonId: 3, reasonType: 'PERSONAL' } })).toBe(
      'time_off',
    );
    expect(appointmentKind({ calendarId: 1, reason: { reasonId: 3, reasonType: 'SERVICE' } })).toBe('other');
    expect(appointmentKind({ calendarId: 1, clientId: 9 })).toBe('appointment');
    expect(appointmentKind({ calendarId: 1, classScheduleId: null, client })).toBe('appointment');
    // A type text that says nothing known leaves the other signs to decide.
    expect(appointmentKind({ calendarId: 1, type: 'STANDARD', client })).toBe('appointment');
  });

  it('is what the parsed appointment carries', () => {
    const parsed = parseAppointment({ calendarId: 5, appointmentType: 'TIME_OFF', status: 'OPEN' });
    expect(parsed.ok && parsed.value.kind).toBe('time_off');
  });
});

describe('typed dates and times', () => {
  it('holds only dates that exist and times of a real clock; raw keeps the rest', () => {
    expect(isCalendarDate('2026-02-28')).toBe(true);
    expect(isCalendarDate('2028-02-29')).toBe(true);
    expect(isCalendarDate('2026-02-30')).toBe(false);
    expect(isCalendarDate('2026-13-01')).toBe(false);
    const parsed = parseAppointment({
      calendarId: 5,
      startDate: '2026-02-30',
      endDate: '2026-03-01',
      startTime: 875,
      endTime: 2400,
    });
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.value).toMatchObject({ endDate: '2026-03-01', endTime: 2400 });
    expect(parsed.value.startDate).toBeUndefined();
    expect(parsed.value.startTime).toBeUndefined();
    expect(parsed.value.raw).toMatchObject({ startDate: '2026-02-30', startTime: 875 });
  });
});

describe('a location’s time zone', () => {
  it('comes from the timeZone object, else from timeZoneCode, legacy names included', () => {
    const zone = { timeZoneId: 4, timeZoneCode: 'America/Los_Angeles', timeZoneDesc: 'Pacific' };
    expect(locationTimeZone({ timeZone: zone })).toBe('America/Los_Angeles');
    expect(locationTimeZone({ timeZone: null, timeZoneCode: 'US/Pacific' })).toBe('US/Pacific');
    expect(locationTimeZone({ timeZoneCode: { timeZoneCode: 'America/Chicago' } })).toBe('America/Chicago');
    expect(locationTimeZone({ timeZone: zone, timeZoneCode: 'US/Eastern' })).toBe('America/Los_Angeles');
    expect(locationTimeZone({ timeZone: null })).toBeUndefined();
    expect(locationTimeZone({})).toBeUndefined();
  });

  it('is a zone the runtime knows, as Area/Location: anything else is left out', () => {
    expect(isTimeZoneName('Europe/Paris')).toBe(true);
    expect(isTimeZoneName('US/Pacific')).toBe(true);
    for (const name of ['Nope/Nowhere', 'EST', 'UTC', '(GMT-08:00) Pacific Time', '']) {
      expect(isTimeZoneName(name), name).toBe(false);
    }
    expect(locationTimeZone({ timeZone: { timeZoneCode: 'Nope/Nowhere' }, timeZoneCode: 'US/Central' })).toBe(
      'US/Central',
    );
    const parsed = parseLocation({ locationId: 3, timeZone: null, timeZoneCode: 'US/Mountain' });
    expect(parsed.ok && parsed.value.timeZone).toBe('US/Mountain');
  });
});
