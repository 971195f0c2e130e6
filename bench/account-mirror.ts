/**
 * Whether one account's part of a shared mirror equals its simulator, the idea of
 * test/helpers/mirror.ts (readMirror, expectedMirror) narrowed to one account: the active rows of
 * that account only, compared with that account's simulator. The accounts' TimeTap ids are the
 * same on purpose, so a row written under the wrong account, or overwritten by another account's
 * row of the same id, shows as a difference in content (`raw`), not only in the ids.
 *
 * Compared: locations, staff, services and clients as sent (`raw`; MIRROR_CLIENT_DATA is `full`),
 * the three kinds of links, and the appointments that start in `range` by id with their status, dates,
 * times, location, staff member, service and client.
 */
import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import type { Simulator } from '../src/simulator/index.js';

export interface MirrorDifference {
  account: string;
  /** The first table that differs, and how (counts, or the first id that differs). */
  table: string;
  detail: string;
}

/** undefined when the account's rows equal its simulator's; else the first difference. */
export async function compareAccountMirror(
  client: pg.Client,
  account: string,
  sim: Simulator,
  range: { from: string; to: string },
): Promise<MirrorDifference | undefined> {
  const snapshot = sim.data.snapshot();
  const rawsOf = async (table: string) =>
    (
      await client.query<{ raw: unknown }>(
        `SELECT raw FROM ${table} WHERE account = $1 AND deleted_at IS NULL ORDER BY id`,
        [account],
      )
    ).rows.map((r) => r.raw);
  const tuplesOf = async (table: string, columns: string) =>
    (
      await client.query<{ t: string[] }>(
        `SELECT ARRAY[${columns}]::text[] AS t FROM ${table} WHERE account = $1 AND deleted_at IS NULL ORDER BY ${columns}`,
        [account],
      )
    ).rows.map((r) => r.t.map(Number));
  const appointments = (
    await client.query<{ t: string[] }>(
      `SELECT ARRAY[id::text, status, start_date, end_date, start_time::text, end_time::text,
                    location_id::text, staff_id::text, service_id::text, coalesce(client_id::text, '')] AS t
       FROM appointments
       WHERE account = $1 AND deleted_at IS NULL AND start_date BETWEEN $2 AND $3 ORDER BY id`,
      [account, range.from, range.to],
    )
  ).rows.map((r) => r.t);
  const truth = [...sim.data.findAppointments(range)]
    .sort((a, b) => a.calendarId - b.calendarId)
    .map((a) => [
      String(a.calendarId),
      a.status,
      a.startDate,
      a.endDate,
      String(a.startTime),
      String(a.endTime),
      String(a.location.locationId),
      String(a.staff.professionalId),
      String(a.reason.reasonId),
      a.client === undefined ? '' : String(a.client.clientId),
    ]);
  const checks: Array<[string, unknown, unknown]> = [
    ['locations', await rawsOf('locations'), sent(snapshot.locations)],
    ['staff', await rawsOf('staff'), sent(snapshot.staff)],
    ['services', await rawsOf('services'), sent(snapshot.services)],
    ['clients', await rawsOf('clients'), sent(snapshot.clients)],
    ['location_staff', await tuplesOf('location_staff', 'location_id, staff_id'), snapshot.locationStaff],
    [
      'location_services',
      await tuplesOf('location_services', 'location_id, service_id'),
      snapshot.locationServices,
    ],
    [
      'staff_services',
      await tuplesOf('staff_services', 'location_id, staff_id, service_id'),
      snapshot.staffServices,
    ],
    ['appointments', appointments, truth],
  ];
  for (const [table, mirrored, expected] of checks) {
    if (isDeepStrictEqual(mirrored, expected)) continue;
    return { account, table, detail: describeDifference(mirrored as unknown[], expected as unknown[]) };
  }
  return undefined;
}

/** What went over the wire: JSON's own values (no `undefined`), less the NULs Postgres refuses. */
function sent(objects: readonly unknown[]): unknown[] {
  return JSON.parse(JSON.stringify(objects).replaceAll('\\u0000', '')) as unknown[];
}

function describeDifference(mirrored: unknown[], expected: unknown[]): string {
  if (mirrored.length !== expected.length)
    return `${mirrored.length} rows mirrored, ${expected.length} at the simulator`;
  const index = mirrored.findIndex((row, i) => !isDeepStrictEqual(row, expected[i]));
  return `row ${index} differs (of ${mirrored.length})`;
}
