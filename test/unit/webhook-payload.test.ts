import { describe, expect, it } from 'vitest';
import { appointmentHintOf } from '../../src/webhook/payload.js';

/** Shaped like the example in TimeTap's docs: trailing commas, a missing comma, never closed. */
const DOCS_LIKE = `{
  "calendarid": 48211093,
  "businessId": 17,
  "status": "OPEN"
  "startDate": "2026-12-01",
  "startTime": 800,
  "location": { "locationId": 1001, "locationName": "Harbor", },
  "client": { "clientId": 5002, "firstName": "Ann", "emailAddress": "ann@example.com", },
  "staff": { "professionalId": 2003,
`;

describe('the appointment a webhook names', () => {
  it('reads plain JSON, with the id spelled either way, as a number or a string', () => {
    expect(appointmentHintOf('{"calendarId": 42, "status": "OPEN"}')).toEqual({
      ok: true,
      calendarId: 42,
      readBy: 'json',
    });
    expect(appointmentHintOf('{"calendarid": "43"}')).toMatchObject({ ok: true, calendarId: 43 });
    // A wrapper one level up.
    expect(appointmentHintOf('{"appointment": {"calendarId": 44}}')).toMatchObject({
      ok: true,
      calendarId: 44,
    });
  });

  it('reads trailing commas and single quotes with JSON5', () => {
    expect(appointmentHintOf("{'calendarId': 45, 'status': 'OPEN',}")).toEqual({
      ok: true,
      calendarId: 45,
      readBy: 'json5',
    });
  });

  it('finds the id in the docs-shaped body that no parser reads', () => {
    expect(() => JSON.parse(DOCS_LIKE)).toThrow();
    expect(appointmentHintOf(DOCS_LIKE)).toEqual({ ok: true, calendarId: 48211093, readBy: 'pattern' });
    expect(appointmentHintOf('calendarId=46&status=OPEN')).toMatchObject({ ok: true, calendarId: 46 });
  });

  it('refuses a body without a usable id, and one that names two', () => {
    expect(appointmentHintOf('')).toEqual({ ok: false, reason: 'empty' });
    expect(appointmentHintOf('{"clientId": 5}')).toEqual({ ok: false, reason: 'no-id' });
    expect(appointmentHintOf('{"calendarId": -3}')).toEqual({ ok: false, reason: 'no-id' });
    expect(appointmentHintOf('{"calendarId": 1.5}')).toEqual({ ok: false, reason: 'no-id' });
    expect(appointmentHintOf('{"calendarId": 99999999999999999999}')).toEqual({ ok: false, reason: 'no-id' });
    expect(appointmentHintOf('[{"calendarId": 1}]')).toEqual({ ok: false, reason: 'no-id' });
    expect(appointmentHintOf('<html>maintenance</html>')).toEqual({ ok: false, reason: 'no-id' });
    expect(appointmentHintOf('{"calendarId": 7, "x": {"calendarId": 8},')).toEqual({
      ok: false,
      reason: 'ambiguous-id',
    });
    // The same id twice is one appointment.
    expect(appointmentHintOf('"calendarid": 9, "calendarId": 9,')).toMatchObject({ ok: true, calendarId: 9 });
  });
});
