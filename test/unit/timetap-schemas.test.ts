import { describe, expect, it } from 'vitest';
import { parseLocation, parseService, parseStaff } from '../../src/timetap/schemas.js';

describe('record schemas', () => {
  it('maps a location and keeps the raw object untouched', () => {
    const raw = {
      locationId: 7,
      businessId: 3,
      locationName: 'Main\u0000St',
      locationType: 'Office',
      extra: { a: 1 },
    };
    const parsed = parseLocation(raw);
    expect(parsed).toEqual({
      ok: true,
      value: { id: 7, businessId: 3, name: 'Main\u0000St', locationType: 'Office', raw },
    });
    if (parsed.ok) expect(parsed.value.raw).toBe(raw);
  });

  it('maps staff, with the nested time zone', () => {
    const raw = {
      professionalId: 11,
      businessId: 3,
      userName: 'ann',
      email: 'ann@example.com',
      firstName: 'Ann',
      lastName: 'Lee',
      fullName: 'Ann Lee',
      timeZoneCode: { timeZoneId: 5, timeZoneCode: 'America/New_York', timeZoneDesc: 'Eastern' },
    };
    const parsed = parseStaff(raw);
    expect(parsed.ok && parsed.value).toMatchObject({
      id: 11,
      fullName: 'Ann Lee',
      timeZone: 'America/New_York',
    });
  });

  it('maps a service', () => {
    const raw = { reasonId: 21, businessId: 3, reasonDesc: 'Cut', visitMinutes: 45, reasonType: 'SERVICE' };
    expect(parseService(raw)).toEqual({
      ok: true,
      value: { id: 21, businessId: 3, name: 'Cut', durationMinutes: 45, serviceType: 'SERVICE', raw },
    });
  });

  it('treats wrong-typed optional fields as absent instead of rejecting the record', () => {
    const raw = { reasonId: 21, reasonDesc: 42, visitMinutes: '45', businessId: null, reasonType: ['x'] };
    const parsed = parseService(raw);
    expect(parsed).toEqual({ ok: true, value: { id: 21, raw } });
    const staff = parseStaff({ professionalId: 1, timeZoneCode: 'EST', email: false });
    expect(staff.ok && staff.value.timeZone).toBeUndefined();
    expect(staff.ok && 'email' in staff.value).toBe(false);
  });

  it.each([
    [{}, /locationId: missing/],
    [{ locationId: '7' }, /locationId: must be a positive integer/],
    [{ locationId: 0 }, /positive integer/],
    [{ locationId: -3 }, /positive integer/],
    [{ locationId: 1.5 }, /positive integer/],
    [null, /not an object/],
    [[1], /not an object/],
    ['x', /not an object/],
  ])('rejects %j without a usable id', (input, reason) => {
    const parsed = parseLocation(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});
