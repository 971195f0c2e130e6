import { describe, expect, it } from 'vitest';
import { DEFAULT_ACCOUNT } from '../../src/account.js';
import { type AppointmentRow, upsertAppointments } from '../../src/db/appointments.js';
import { type ClientDataPolicy, emailHash, scrubClientData } from '../../src/db/client-data.js';
import { missingClientIds, upsertClients } from '../../src/db/clients.js';
import type { Db } from '../../src/db/database.js';
import { countActiveRows, MIRROR_TABLES } from '../../src/db/delete-baseline.js';
import { setInactive, tombstoneEntityRows, unseenEntities } from '../../src/db/tombstones.js';
import type { ClientRecord } from '../../src/records.js';
import { useTestDatabase } from '../helpers/use-database.js';

let db: Db;

useTestDatabase(['clients', 'appointments'], (database) => {
  db = database.db;
});

const key = 'a0'.repeat(32);
const full: ClientDataPolicy = { mode: 'full', hashKey: key };
const pseudonymous: ClientDataPolicy = { mode: 'pseudonymous', hashKey: key };
const none: ClientDataPolicy = { mode: 'none', hashKey: key };
const readAt = new Date('2026-01-10T10:00:00Z');

/** A client as TimeTap sends it (and as the client's parser hands it over). */
function client(id: number, extra: Record<string, unknown> = {}): ClientRecord {
  const raw = {
    clientId: id,
    businessId: 77,
    firstName: `Zelda${id}`,
    lastName: `Quixotic${id}`,
    emailAddress: `Zelda.Quixotic.${id}@Example.ORG`,
    cellPhone: `555-01${id}`,
    city: `Xanadu${id}`,
    notes: `Secret note ${id}`,
    fields: [{ fieldId: 103, fieldName: 'Allergies', value: `Allergic-to-${id}` }],
    ...extra,
  };
  return {
    id,
    businessId: 77,
    firstName: raw.firstName,
    lastName: raw.lastName,
    email: raw.emailAddress,
    phone: raw.cellPhone,
    city: raw.city,
    raw,
  };
}

/** The values that any reducing mode must drop, of client `id`. */
const personal = (id: number) => [
  `Zelda${id}`,
  `Quixotic${id}`,
  `Zelda.Quixotic.${id}@Example.ORG`.toLowerCase(),
  `555-01${id}`,
  `Xanadu${id}`,
  `Secret note ${id}`,
  `Allergic-to-${id}`,
];

/** An appointment that nests the full copy of client `clientId`. */
function appointment(id: number, clientId: number): AppointmentRow {
  return {
    id,
    clientId,
    status: 'OPEN',
    startDate: '2026-01-12',
    startTime: 900,
    endDate: '2026-01-12',
    endTime: 930,
    raw: { calendarId: id, status: 'OPEN', client: client(clientId).raw, note: 'Call before' },
  };
}

/** Every (table, column, value) where one of `values` occurs, in any text or jsonb column of both tables. */
async function occurrences(values: string[]): Promise<string[]> {
  const columns = await db.$queryRaw<Array<{ table_name: string; column_name: string }>>`
    SELECT table_name, column_name FROM information_schema.columns
    WHERE table_schema = 'public' AND table_name IN ('clients', 'appointments') AND data_type IN ('text', 'jsonb')`;
  expect(columns.length).toBeGreaterThanOrEqual(14);
  const found: string[] = [];
  for (const { table_name, column_name } of columns) {
    for (const value of values) {
      const rows = await db.$queryRawUnsafe<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM ${table_name} WHERE lower(${column_name}::text) LIKE '%' || lower($1) || '%'`,
        value,
      );
      if ((rows[0]?.n ?? 0) > 0) found.push(`${table_name}.${column_name}: ${value}`);
    }
  }
  return found;
}

interface Stored {
  id: bigint;
  xmin: string;
  first_name: string | null;
  last_name: string | null;
  display_name: string | null;
  email: string | null;
  email_hash: string | null;
  phone: string | null;
  city: string | null;
  business_id: bigint | null;
  raw: Record<string, unknown>;
  content_hash: string;
  updated_at: Date;
}

async function stored(table: 'clients' | 'appointments' = 'clients'): Promise<Map<number, Stored>> {
  const columns =
    table === 'clients'
      ? 'first_name, last_name, display_name, email, email_hash, phone, city, business_id,'
      : '';
  const rows = await db.$queryRawUnsafe<Stored[]>(
    `SELECT id, xmin::text AS xmin, ${columns} raw, content_hash, updated_at FROM ${table} ORDER BY id`,
  );
  return new Map(rows.map((r) => [Number(r.id), r]));
}

const xmins = async (table: 'clients' | 'appointments') =>
  [...(await stored(table)).values()].map((r) => r.xmin);

describe('upsertClients', () => {
  it('full: inserts typed columns and raw, then writes nothing for the same content', async () => {
    expect(
      await upsertClients(db, [client(1), client(2)], { account: DEFAULT_ACCOUNT, clientData: full }),
    ).toMatchObject({
      inserted: 2,
      updated: 0,
    });
    const first = await stored();
    expect(first.get(1)).toMatchObject({
      first_name: 'Zelda1',
      last_name: 'Quixotic1',
      display_name: 'Zelda1 Quixotic1',
      email: 'Zelda.Quixotic.1@Example.ORG',
      email_hash: emailHash('zelda.quixotic.1@example.org', key),
      phone: '555-011',
      city: 'Xanadu1',
      business_id: 77n,
      raw: client(1).raw,
    });
    expect(
      await upsertClients(db, [client(1), client(2)], { account: DEFAULT_ACCOUNT, clientData: full }),
    ).toMatchObject({
      unchanged: 2,
    });
    expect(await xmins('clients')).toEqual([...first.values()].map((r) => r.xmin));

    const changed = client(2, { city: 'Elsewhere' });
    expect(
      await upsertClients(db, [client(1), { ...changed, city: 'Elsewhere' }], {
        account: DEFAULT_ACCOUNT,
        clientData: full,
      }),
    ).toMatchObject({ unchanged: 1, updated: 1 });
    const after = await stored();
    expect(after.get(1)?.xmin).toBe(first.get(1)?.xmin);
    expect(after.get(2)?.city).toBe('Elsewhere');
  });

  it('display_name: first and last name, else the e-mail address', async () => {
    await upsertClients(
      db,
      [
        { id: 1, lastName: ' Solo ', raw: { clientId: 1 } },
        { id: 2, email: 'only@example.org', raw: { clientId: 2 } },
        { id: 3, firstName: ' ', raw: { clientId: 3 } },
      ],
      { account: DEFAULT_ACCOUNT, clientData: full },
    );
    const rows = await stored();
    expect([1, 2, 3].map((id) => rows.get(id)?.display_name)).toEqual(['Solo', 'only@example.org', null]);
  });

  it('pseudonymous: ids and the e-mail hash only, in the columns and in raw; nothing personal anywhere', async () => {
    await upsertClients(db, [client(1), client(2)], { account: DEFAULT_ACCOUNT, clientData: pseudonymous });
    await upsertAppointments(db, [appointment(10, 1)], {
      account: DEFAULT_ACCOUNT,
      readAt,
      clientData: pseudonymous,
    });
    const row = (await stored()).get(1);
    const hash = emailHash('zelda.quixotic.1@example.org', key);
    expect(row).toMatchObject({
      first_name: null,
      last_name: null,
      display_name: null,
      email: null,
      email_hash: hash,
      phone: null,
      city: null,
      business_id: 77n,
      raw: { clientId: 1, businessId: 77, emailHash: hash },
    });
    const nested = (await stored('appointments')).get(10)?.raw;
    // The note is not known to be free of personal data: the allow-list drops it.
    expect(nested).toEqual({
      calendarId: 10,
      status: 'OPEN',
      client: { clientId: 1, businessId: 77, emailHash: hash },
    });
    expect(await occurrences([...personal(1), ...personal(2)])).toEqual([]);
    // The same data again writes nothing.
    const before = await xmins('clients');
    expect(
      await upsertClients(db, [client(1), client(2)], { account: DEFAULT_ACCOUNT, clientData: pseudonymous }),
    ).toMatchObject({
      unchanged: 2,
    });
    expect(await xmins('clients')).toEqual(before);
  });

  it('none: the client id (and business id) only; nothing personal, not even the hash', async () => {
    await upsertClients(db, [client(1)], { account: DEFAULT_ACCOUNT, clientData: none });
    await upsertAppointments(db, [appointment(10, 1)], {
      account: DEFAULT_ACCOUNT,
      readAt,
      clientData: none,
    });
    expect((await stored()).get(1)).toMatchObject({
      first_name: null,
      email: null,
      email_hash: null,
      business_id: 77n,
      raw: { clientId: 1 },
    });
    expect((await stored('appointments')).get(10)?.raw.client).toEqual({ clientId: 1 });
    const hash = emailHash('zelda.quixotic.1@example.org', key);
    expect(await occurrences([...personal(1), hash])).toEqual([]);
  });

  it('onlyMissing: fills gaps, never overwrites a live client nor revives a tombstoned one', async () => {
    await upsertClients(db, [client(1), client(2)], { account: DEFAULT_ACCOUNT, clientData: full });
    await tombstoneEntityRows(db, 'clients', [2], { account: DEFAULT_ACCOUNT });
    const before = await stored();
    const excerpt = (id: number): ClientRecord => ({
      id,
      firstName: 'Nested',
      raw: { clientId: id, firstName: 'Nested' },
    });
    expect(
      await upsertClients(db, [excerpt(1), excerpt(2), excerpt(3)], {
        account: DEFAULT_ACCOUNT,
        clientData: full,
        onlyMissing: true,
      }),
    ).toMatchObject({ inserted: 1, revived: 0, unchanged: 0 }); // the other copies are not counted
    const after = await stored();
    expect(after.get(1)?.xmin).toBe(before.get(1)?.xmin);
    expect(after.get(2)?.xmin).toBe(before.get(2)?.xmin);
    expect(after.get(3)?.first_name).toBe('Nested');
  });

  it('cleans NUL characters out of columns and raw', async () => {
    const row = client(1, { notes: 'a\u0000b' });
    const counts = await upsertClients(db, [{ ...row, firstName: 'Ze\u0000lda' }], {
      account: DEFAULT_ACCOUNT,
      clientData: full,
    });
    expect(counts.cleanedValues).toBe(2);
    const stored1 = (await stored()).get(1);
    expect(stored1?.first_name).toBe('Zelda');
    expect(stored1?.raw.notes).toBe('ab');
  });
});

describe('scrubClientData', () => {
  it('brings full rows down to pseudonymous, then to none; the next sync sees no change; twice writes nothing', async () => {
    await upsertClients(db, [client(1), client(2), client(3)], {
      account: DEFAULT_ACCOUNT,
      clientData: full,
    });
    await tombstoneEntityRows(db, 'clients', [3], { account: DEFAULT_ACCOUNT });
    await upsertAppointments(
      db,
      [appointment(10, 1), appointment(11, 2), { id: 12, raw: { calendarId: 12 } }],
      { account: DEFAULT_ACCOUNT, readAt, clientData: full },
    );
    const updatedAt = (await stored('appointments')).get(10)?.updated_at;

    // The probe finds what full mode stores: in the typed columns, raw, and appointments' raw.
    expect(await occurrences(personal(1))).toEqual(
      expect.arrayContaining([
        'clients.first_name: Zelda1',
        'clients.display_name: Zelda1',
        'clients.raw: Allergic-to-1',
        'appointments.raw: Secret note 1',
      ]),
    );
    expect(await scrubClientData(db, full, { account: DEFAULT_ACCOUNT })).toEqual({
      clients: 0,
      appointments: 0,
    });
    expect(await scrubClientData(db, pseudonymous, { account: DEFAULT_ACCOUNT })).toEqual({
      clients: 3,
      appointments: 2,
    });
    expect(await occurrences([...personal(1), ...personal(2), ...personal(3)])).toEqual([]);
    const hash = emailHash('zelda.quixotic.1@example.org', key);
    expect((await stored()).get(1)).toMatchObject({
      email_hash: hash,
      raw: { clientId: 1, businessId: 77, emailHash: hash },
    });
    expect((await stored('appointments')).get(10)?.updated_at).toEqual(updatedAt);

    // Idempotent, and what a pseudonymous sync would have written: the same data writes nothing.
    const clientsBefore = await xmins('clients');
    const appointmentsBefore = await xmins('appointments');
    expect(await scrubClientData(db, pseudonymous, { account: DEFAULT_ACCOUNT })).toEqual({
      clients: 0,
      appointments: 0,
    });
    expect(
      await upsertClients(db, [client(1), client(2)], { account: DEFAULT_ACCOUNT, clientData: pseudonymous }),
    ).toMatchObject({
      unchanged: 2,
    });
    expect(
      await upsertAppointments(db, [appointment(10, 1), appointment(11, 2)], {
        account: DEFAULT_ACCOUNT,
        readAt: new Date(readAt.getTime() + 1000),
        clientData: pseudonymous,
      }),
    ).toMatchObject({ unchanged: 2 });
    expect(await xmins('clients')).toEqual(clientsBefore);
    expect(await xmins('appointments')).toEqual(appointmentsBefore);

    expect(await scrubClientData(db, none, { account: DEFAULT_ACCOUNT })).toEqual({
      clients: 3,
      appointments: 2,
    });
    expect(await occurrences([...personal(1), ...personal(2), hash])).toEqual([]);
    expect((await stored()).get(2)).toMatchObject({
      email_hash: null,
      business_id: 77n,
      raw: { clientId: 2 },
    });
    expect((await stored('appointments')).get(11)?.raw.client).toEqual({ clientId: 2 });
    const noneClients = await xmins('clients');
    const noneAppointments = await xmins('appointments');
    expect(await scrubClientData(db, none, { account: DEFAULT_ACCOUNT })).toEqual({
      clients: 0,
      appointments: 0,
    });
    expect(
      await upsertClients(db, [client(1), client(2)], { account: DEFAULT_ACCOUNT, clientData: none }),
    ).toMatchObject({
      unchanged: 2,
    });
    expect(
      await upsertAppointments(db, [appointment(10, 1)], {
        account: DEFAULT_ACCOUNT,
        readAt: new Date(readAt.getTime() + 2000),
        clientData: none,
      }),
    ).toMatchObject({ unchanged: 1 });
    expect(await xmins('clients')).toEqual(noneClients);
    expect(await xmins('appointments')).toEqual(noneAppointments);
  });

  it('leaves a row that a sync rewrote meanwhile to that sync', async () => {
    await upsertClients(db, [client(1)], { account: DEFAULT_ACCOUNT, clientData: full });
    // A sync rewrites the row between the scrub's read and its write.
    let reads = 0;
    const racing = new Proxy(db, {
      get(target, property) {
        const value = Reflect.get(target, property);
        if (property === '$queryRaw') {
          return async (...args: unknown[]) => {
            const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            if (reads++ === 0) {
              await upsertClients(db, [client(1, { city: 'Moved' })], {
                account: DEFAULT_ACCOUNT,
                clientData: full,
              });
            }
            return result;
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    expect(await scrubClientData(racing, pseudonymous, { account: DEFAULT_ACCOUNT })).toEqual({
      clients: 0,
      appointments: 0,
    });
    expect((await stored()).get(1)?.raw.city).toBe('Moved');
    // The next scrub brings it down.
    expect(await scrubClientData(db, pseudonymous, { account: DEFAULT_ACCOUNT })).toEqual({
      clients: 1,
      appointments: 0,
    });
  });
});

describe('what an appointment keeps: an allow-list', () => {
  /** An appointment as TimeTap may send it one day: personal data beside and under the client. */
  function unexpected(id: number, clientId: number): AppointmentRow {
    const row = appointment(id, clientId);
    return {
      ...row,
      raw: {
        ...row.raw,
        clientName: `Zelda${clientId} Quixotic${clientId}`,
        clientList: [client(clientId).raw, client(clientId + 50).raw],
        note: `Secret note ${clientId}`,
        fields: [{ fieldId: 201, fieldName: 'Reason for visit', value: `Allergic-to-${clientId}` }],
        location: { locationId: 5, locationName: 'Downtown', lastClient: client(clientId + 60).raw },
        staff: { professionalId: 9, fullName: 'Staff Member' },
      },
    };
  }

  it('pseudonymous and none: nothing personal reaches raw, whatever the keys are called', async () => {
    for (const policy of [pseudonymous, none]) {
      await db.$executeRawUnsafe('TRUNCATE appointments');
      await upsertAppointments(db, [unexpected(20, 1)], {
        account: DEFAULT_ACCOUNT,
        readAt,
        clientData: policy,
      });
      expect(await occurrences([...personal(1), ...personal(51), ...personal(61)]), policy.mode).toEqual([]);
      const raw = (await stored('appointments')).get(20)?.raw;
      expect(raw, policy.mode).toEqual({
        calendarId: 20,
        status: 'OPEN',
        client: policy.mode === 'none' ? { clientId: 1 } : expect.objectContaining({ clientId: 1 }),
        location: { locationId: 5 },
        staff: { professionalId: 9, fullName: 'Staff Member' },
      });
      // The same content again writes nothing, and a scrub finds nothing left to do.
      expect(await scrubClientData(db, policy, { account: DEFAULT_ACCOUNT })).toEqual({
        clients: 0,
        appointments: 0,
      });
      expect(
        await upsertAppointments(db, [unexpected(20, 1)], {
          account: DEFAULT_ACCOUNT,
          readAt: new Date(readAt.getTime() + 1000),
          clientData: policy,
        }),
      ).toMatchObject({ unchanged: 1 });
    }
  });

  it('full keeps everything; a stricter mode then scrubs what full stored', async () => {
    await upsertAppointments(db, [unexpected(21, 2)], { account: DEFAULT_ACCOUNT, readAt, clientData: full });
    expect(await occurrences(personal(2))).toEqual(
      expect.arrayContaining(['appointments.raw: Zelda2', 'appointments.raw: Allergic-to-2']),
    );
    expect(await scrubClientData(db, pseudonymous, { account: DEFAULT_ACCOUNT })).toEqual({
      clients: 0,
      appointments: 1,
    });
    expect(await occurrences([...personal(2), ...personal(52), ...personal(62)])).toEqual([]);
    expect(await scrubClientData(db, pseudonymous, { account: DEFAULT_ACCOUNT })).toEqual({
      clients: 0,
      appointments: 0,
    });
  });
});

describe('clients as a reconciled table', () => {
  it('unseen, inactive and tombstoned like the entities', async () => {
    await upsertClients(db, [client(1), client(2), client(3)], {
      account: DEFAULT_ACCOUNT,
      clientData: full,
    });
    expect(await unseenEntities(db, DEFAULT_ACCOUNT, 'clients', [1])).toEqual({
      active: 3,
      missing: [2, 3],
      inactive: [],
    });
    expect(await setInactive(db, 'clients', [2], true, { account: DEFAULT_ACCOUNT })).toBe(1);
    expect(await tombstoneEntityRows(db, 'clients', [3], { account: DEFAULT_ACCOUNT })).toBe(1);
    expect(await unseenEntities(db, DEFAULT_ACCOUNT, 'clients', [1])).toEqual({
      active: 2,
      missing: [],
      inactive: [2],
    });
    expect(await setInactive(db, 'clients', [2], false, { account: DEFAULT_ACCOUNT })).toBe(1);
  });

  it('missingClientIds: the ids with no row at all', async () => {
    await upsertClients(db, [client(1), client(2)], { account: DEFAULT_ACCOUNT, clientData: full });
    await tombstoneEntityRows(db, 'clients', [2], { account: DEFAULT_ACCOUNT });
    expect(await missingClientIds(db, DEFAULT_ACCOUNT, [4, 1, 2, 3, 4])).toEqual([3, 4]);
    expect(await missingClientIds(db, DEFAULT_ACCOUNT, [])).toEqual([]);
  });

  it('the guard counts clients and appointments too', async () => {
    expect(MIRROR_TABLES).toEqual(expect.arrayContaining(['clients', 'appointments']));
    await upsertClients(db, [client(1), client(2)], { account: DEFAULT_ACCOUNT, clientData: full });
    await upsertAppointments(db, [appointment(10, 1)], {
      account: DEFAULT_ACCOUNT,
      readAt,
      clientData: full,
    });
    await tombstoneEntityRows(db, 'clients', [2], { account: DEFAULT_ACCOUNT });
    expect(await countActiveRows(db, DEFAULT_ACCOUNT)).toMatchObject({ clients: 1, appointments: 1 });
  });
});
