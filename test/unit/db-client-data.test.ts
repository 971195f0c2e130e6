import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { durationMinutes, localStart } from '../../src/db/appointments.js';
import {
  type ClientDataPolicy,
  emailHash,
  reduceAppointmentRaw,
  reduceClient,
} from '../../src/db/client-data.js';

const key = 'k'.repeat(64);
const full: ClientDataPolicy = { mode: 'full', hashKey: key };
const pseudonymous: ClientDataPolicy = { mode: 'pseudonymous', hashKey: key };
const none: ClientDataPolicy = { mode: 'none', hashKey: key };

const client = {
  clientId: 7,
  businessId: 3,
  firstName: 'Ada',
  lastName: 'Lovelace',
  emailAddress: '  Ada.Lovelace@Example.ORG ',
  cellPhone: '555-0100',
  city: 'London',
  notes: 'Prefers mornings.',
  fields: [{ fieldId: 103, fieldName: 'Allergies', value: 'Latex' }],
};

describe('emailHash', () => {
  it('is the HMAC-SHA256 (hex) of the trimmed, lower-cased address under the key', () => {
    const expected = createHmac('sha256', key).update('ada.lovelace@example.org').digest('hex');
    expect(emailHash(client.emailAddress, key)).toBe(expected);
    expect(emailHash('ada.lovelace@example.org', key)).toBe(expected);
    expect(emailHash('ada.lovelace@example.org', 'another key')).not.toBe(expected);
  });
});

describe('reduceClient', () => {
  it('full keeps the object as it is', () => {
    expect(reduceClient(client, full)).toBe(client);
  });

  it('pseudonymous keeps the ids and the hash of the address, nothing else', () => {
    expect(reduceClient(client, pseudonymous)).toEqual({
      clientId: 7,
      businessId: 3,
      emailHash: emailHash(client.emailAddress, key),
    });
    expect(reduceClient({ clientId: 8, emailAddress: '   ' }, pseudonymous)).toEqual({ clientId: 8 });
  });

  it('none keeps the client id only', () => {
    expect(reduceClient(client, none)).toEqual({ clientId: 7 });
  });

  it('is idempotent, so that stored rows reduce again to the same content', () => {
    const once = reduceClient(client, pseudonymous);
    expect(reduceClient(once, pseudonymous)).toEqual(once);
    expect(reduceClient(reduceClient(once, none), none)).toEqual({ clientId: 7 });
  });
});

describe('reduceAppointmentRaw', () => {
  const appointment = { calendarId: 1, status: 'OPEN', client };

  it('reduces the nested client and keeps the rest', () => {
    expect(reduceAppointmentRaw(appointment, pseudonymous)).toEqual({
      calendarId: 1,
      status: 'OPEN',
      client: reduceClient(client, pseudonymous),
    });
    expect(reduceAppointmentRaw(appointment, none)).toEqual({
      calendarId: 1,
      status: 'OPEN',
      client: { clientId: 7 },
    });
    expect(reduceAppointmentRaw(appointment, full)).toBe(appointment);
  });

  it('drops a malformed client, reduces a list of them, keeps null and absence', () => {
    expect(reduceAppointmentRaw({ calendarId: 1, client: 'Ada Lovelace' }, none)).toEqual({ calendarId: 1 });
    expect(reduceAppointmentRaw({ calendarId: 1, client: [client, 'x'] }, none)).toEqual({
      calendarId: 1,
      client: [{ clientId: 7 }],
    });
    expect(reduceAppointmentRaw({ calendarId: 1, client: null }, none)).toEqual({
      calendarId: 1,
      client: null,
    });
    expect(reduceAppointmentRaw({ calendarId: 1 }, none)).toEqual({ calendarId: 1 });
  });
});

describe('reduceAppointmentRaw: an allow-list, whatever the keys are called', () => {
  const unexpected = {
    calendarId: 2,
    status: 'OPEN',
    startDate: '2026-03-16',
    startTime: 900,
    clientStartTime: 1000,
    client,
    clientName: 'Ada Lovelace',
    clientList: [client, { ...client, clientId: 8 }],
    note: 'Prefers mornings.',
    fields: [{ fieldId: 201, fieldName: 'Reason for visit', value: 'Back pain' }],
    location: { locationId: 5, locationName: 'Downtown', visitor: { clientId: 9, firstName: 'Bob' } },
    staff: { professionalId: 3, fullName: 'Staff Member', timeZoneCode: { timeZoneCode: 'US/Pacific' } },
    reason: { reasonId: 4, reasonDesc: 'Massage' },
  };

  it('keeps the booking, the business objects, and the client as the mode keeps clients', () => {
    expect(reduceAppointmentRaw(unexpected, none)).toEqual({
      calendarId: 2,
      status: 'OPEN',
      startDate: '2026-03-16',
      startTime: 900,
      clientStartTime: 1000,
      client: { clientId: 7 },
      location: { locationId: 5 },
      staff: unexpected.staff,
      reason: unexpected.reason,
    });
    const pseudo = reduceAppointmentRaw(unexpected, pseudonymous);
    expect(pseudo.client).toEqual(reduceClient(client, pseudonymous));
    expect(JSON.stringify(pseudo)).not.toMatch(/Ada|Lovelace|Bob|mornings|Back pain|555|London|Latex/);
    expect(reduceAppointmentRaw(unexpected, full)).toBe(unexpected);
  });

  it('is idempotent', () => {
    for (const policy of [pseudonymous, none]) {
      const once = reduceAppointmentRaw(unexpected, policy);
      expect(reduceAppointmentRaw(once, policy)).toEqual(once);
    }
  });
});

describe('local start and duration', () => {
  it('reads the wall clock of a date and an HHmm time', () => {
    expect(localStart({ startDate: '2026-03-08', startTime: 845 })).toBe('2026-03-08 08:45:00');
    expect(localStart({ startDate: '0099-01-01', startTime: 0 })).toBe('0099-01-01 00:00:00');
    expect(
      durationMinutes({ startDate: '2026-03-08', startTime: 845, endDate: '2026-03-08', endTime: 1030 }),
    ).toBe(105);
  });

  it('counts across midnight and leap days; 2400 is the end of the day', () => {
    expect(
      durationMinutes({ startDate: '2024-02-28', startTime: 2330, endDate: '2024-02-29', endTime: 15 }),
    ).toBe(45);
    expect(
      durationMinutes({ startDate: '2026-12-31', startTime: 2300, endDate: '2026-12-31', endTime: 2400 }),
    ).toBe(60);
  });

  it('gives nothing for missing, malformed or backwards inputs', () => {
    expect(localStart({ startDate: '2026-03-08' })).toBeUndefined();
    expect(localStart({ startTime: 800 })).toBeUndefined();
    for (const startDate of ['2026-02-30', '2026-13-01', '2026-3-8', '0000-01-01', 'tomorrow']) {
      expect(localStart({ startDate, startTime: 800 }), startDate).toBeUndefined();
    }
    for (const startTime of [860, 2401, 2430, -5, 8.5]) {
      expect(localStart({ startDate: '2026-03-08', startTime }), String(startTime)).toBeUndefined();
    }
    expect(durationMinutes({ startDate: '2026-03-08', startTime: 900, endTime: 1000 })).toBeUndefined();
    expect(
      durationMinutes({ startDate: '2026-03-08', startTime: 900, endDate: '2026-03-08', endTime: 800 }),
    ).toBeUndefined();
  });
});
