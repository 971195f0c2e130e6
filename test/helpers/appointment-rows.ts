/**
 * Appointments as the writer takes them, for tests of the write path: one booking at 9:00 on
 * 2026-02-02 (location 1, staff 10, service 20, client 30), read on 2026-01-10, with `raw` made
 * of what the typed columns hold so that any change to them changes the content.
 */
import { DEFAULT_ACCOUNT } from '../../src/account.js';
import type { AppointmentRow } from '../../src/db/appointments.js';
import type { ClientDataPolicy } from '../../src/db/client-data.js';

export const fullClientData: ClientDataPolicy = { mode: 'full', hashKey: 'key' };

/** A read time on 2026-01-10 (UTC), `HH:MM:SS`. */
export const at = (time: string) => new Date(`2026-01-10T${time}Z`);

/** What upsertAppointments takes for a read at `readAt`, into `account`'s rows. */
export const readOptions = (readAt: Date, account: string = DEFAULT_ACCOUNT) => ({
  account,
  readAt,
  clientData: fullClientData,
});

export function appointmentRow(id: number, extra: Partial<AppointmentRow> = {}): AppointmentRow {
  const row: AppointmentRow = {
    id,
    businessId: 77,
    locationId: 1,
    staffId: 10,
    serviceId: 20,
    clientId: 30,
    status: 'OPEN',
    startDate: '2026-02-02',
    endDate: '2026-02-02',
    startTime: 900,
    endTime: 945,
    ...extra,
    raw: {},
  };
  row.raw = {
    calendarId: id,
    status: row.status,
    startDate: row.startDate,
    startTime: row.startTime,
    ...extra.raw,
  };
  return row;
}
