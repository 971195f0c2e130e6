import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ACCOUNT } from '../../src/account.js';
import { cleanJson, MAX_JSON_DEPTH } from '../../src/db/clean.js';
import { contentHash } from '../../src/db/content-hash.js';
import { createDatabase, type Db } from '../../src/db/database.js';
import { upsertLocations, upsertServices, upsertStaff, type WarningLogger } from '../../src/db/entities.js';
import { tombstoneEntityRows } from '../../src/db/tombstones.js';
import type { LocationRecord, ServiceRecord, StaffRecord } from '../../src/records.js';
import type { TestDatabase } from '../helpers/database.js';
import { depthOf } from '../helpers/nesting.js';
import { useTestDatabase } from '../helpers/use-database.js';

let database: TestDatabase;
let db: Db;

useTestDatabase(
  ['locations', 'staff', 'services', 'location_staff', 'location_services', 'staff_services'],
  (created) => {
    database = created;
    db = created.db;
  },
);

interface Version {
  id: bigint;
  xmin: string;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
  raw: Record<string, unknown>;
}

/** xmin changes with every new row version, so an unchanged xmin proves that nothing was written. */
async function versions(table: 'locations' | 'staff' | 'services'): Promise<Map<number, Version>> {
  const rows = await db.$queryRawUnsafe<Version[]>(
    `SELECT id, xmin::text AS xmin, created_at, updated_at, deleted_at, raw FROM ${table} ORDER BY id`,
  );
  return new Map(rows.map((r) => [Number(r.id), r]));
}

const staff = (id: number, extra: Record<string, unknown> = {}): StaffRecord => ({
  id,
  businessId: 77,
  userName: `user${id}`,
  email: `u${id}@example.com`,
  firstName: 'Ada',
  lastName: `Lovelace ${id}`,
  fullName: `Ada Lovelace ${id}`,
  timeZone: 'Europe/London',
  raw: { professionalId: id, businessId: 77, firstName: 'Ada', lastName: `Lovelace ${id}`, ...extra },
});

describe('upserts', () => {
  it('inserts, then writes nothing when the same content comes again (even reordered)', async () => {
    const rows = [staff(1), staff(2), staff(3)];
    expect(await upsertStaff(db, rows, { account: DEFAULT_ACCOUNT })).toEqual({
      inserted: 3,
      updated: 0,
      unchanged: 0,
      revived: 0,
      cleanedValues: 0,
      outOfRange: 0,
      tooDeep: 0,
    });
    const before = await versions('staff');

    const reordered = rows
      .map((r) => ({ ...r, raw: Object.fromEntries(Object.entries(r.raw).reverse()) }))
      .reverse();
    expect(await upsertStaff(db, reordered, { account: DEFAULT_ACCOUNT })).toEqual({
      inserted: 0,
      updated: 0,
      unchanged: 3,
      revived: 0,
      cleanedValues: 0,
      outOfRange: 0,
      tooDeep: 0,
    });
    const after = await versions('staff');
    for (const [id, row] of before) {
      expect(after.get(id)?.xmin, `row ${id} was not rewritten`).toBe(row.xmin);
      expect(after.get(id)?.updated_at).toEqual(row.updated_at);
    }
  });

  it('updates raw, typed columns and updated_at of a changed row only; created_at stays', async () => {
    await upsertStaff(db, [staff(1), staff(2)], { account: DEFAULT_ACCOUNT });
    const before = await versions('staff');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const changed = { ...staff(2, { lastName: 'Byron' }), lastName: 'Byron' };
    expect(await upsertStaff(db, [staff(1), changed], { account: DEFAULT_ACCOUNT })).toMatchObject({
      inserted: 0,
      updated: 1,
      unchanged: 1,
    });
    const after = await versions('staff');
    expect(after.get(1)?.xmin).toBe(before.get(1)?.xmin);
    expect(after.get(2)?.xmin).not.toBe(before.get(2)?.xmin);
    expect(after.get(2)?.raw.lastName).toBe('Byron');
    expect(after.get(2)?.updated_at.getTime()).toBeGreaterThan(before.get(2)?.updated_at.getTime() ?? 0);
    expect(after.get(2)?.created_at).toEqual(before.get(2)?.created_at);
    const typed = await db.staff.findUniqueOrThrow({
      where: { account_id: { account: DEFAULT_ACCOUNT, id: 2n } },
    });
    expect(typed.lastName).toBe('Byron');
  });

  it('keeps fields that the typed columns do not cover, and fills typed columns', async () => {
    const raw = { locationId: 5, locationName: 'Main', brandNew: { nested: [1, 'two', null] }, flag: true };
    await upsertLocations(db, [{ id: 5, businessId: 9, name: 'Main', locationType: 'PHYSICAL', raw }], {
      account: DEFAULT_ACCOUNT,
    });
    const row = await db.location.findUniqueOrThrow({
      where: { account_id: { account: DEFAULT_ACCOUNT, id: 5n } },
    });
    expect(row.raw).toEqual(raw);
    expect(row).toMatchObject({ businessId: 9n, name: 'Main', locationType: 'PHYSICAL', deletedAt: null });
    expect(row.contentHash).toMatch(/^[0-9a-f]{64}$/);

    const service: ServiceRecord = {
      id: 8,
      name: 'Cut',
      durationMinutes: 45,
      serviceType: 'SERVICE',
      raw: { reasonId: 8 },
    };
    await upsertServices(db, [service], { account: DEFAULT_ACCOUNT });
    expect(
      await db.service.findUniqueOrThrow({ where: { account_id: { account: DEFAULT_ACCOUNT, id: 8n } } }),
    ).toMatchObject({
      durationMinutes: 45,
      name: 'Cut',
    });
  });

  it('removes NUL characters, keeps emoji and very long strings', async () => {
    const long = 'x'.repeat(1_000_000);
    const row: LocationRecord = {
      id: 1,
      name: 'Caf\u0000é 😀',
      raw: { 'key\u0000': 'va\u0000lue', emoji: '👩‍💻 naïve', long, list: ['\u0000', 'ok'], bad: 'a\uD800' },
    };
    const counts = await upsertLocations(db, [row], { account: DEFAULT_ACCOUNT });
    expect(counts.cleanedValues).toBe(5);
    const stored = await db.location.findUniqueOrThrow({
      where: { account_id: { account: DEFAULT_ACCOUNT, id: 1n } },
    });
    expect(stored.name).toBe('Café 😀');
    expect(stored.raw).toEqual({ key: 'value', emoji: '👩‍💻 naïve', long, list: ['', 'ok'], bad: 'a\uFFFD' });
    expect(await upsertLocations(db, [row], { account: DEFAULT_ACCOUNT })).toMatchObject({
      unchanged: 1,
      updated: 0,
    });
  });

  it('collapses repeated ids (the last wins)', async () => {
    const counts = await upsertStaff(db, [staff(1), staff(2), staff(1, { note: 'last' })], {
      account: DEFAULT_ACCOUNT,
    });
    expect(counts).toMatchObject({ inserted: 2 });
    expect((await versions('staff')).get(1)?.raw.note).toBe('last');
  });

  it('revives a tombstoned row seen again, without touching updated_at when the content is the same', async () => {
    await upsertStaff(db, [staff(1), staff(2), staff(3)], { account: DEFAULT_ACCOUNT });
    expect(await tombstoneEntityRows(db, 'staff', [3], { account: DEFAULT_ACCOUNT })).toBe(1);
    const tombstoned = (await versions('staff')).get(3);
    expect(tombstoned?.deleted_at).toBeInstanceOf(Date);

    expect(await upsertStaff(db, [staff(1), staff(2), staff(3)], { account: DEFAULT_ACCOUNT })).toEqual({
      inserted: 0,
      updated: 0,
      unchanged: 2,
      revived: 1,
      cleanedValues: 0,
      outOfRange: 0,
      tooDeep: 0,
    });
    const revived = (await versions('staff')).get(3);
    expect(revived?.deleted_at).toBeNull();
    expect(revived?.updated_at).toEqual(tombstoned?.updated_at);
  });

  it('writes 10,000 rows in a few statements', async () => {
    let statements = 0;
    const counting = new Proxy(db, {
      get(target, property) {
        const value = Reflect.get(target, property);
        if (property === '$queryRaw' || property === '$executeRaw') {
          return (...args: unknown[]) => {
            statements += 1;
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const rows = Array.from({ length: 10_000 }, (_, i) => staff(i + 1));
    expect(await upsertStaff(counting, rows, { account: DEFAULT_ACCOUNT })).toMatchObject({
      inserted: 10_000,
    });
    expect(statements).toBeGreaterThanOrEqual(1);
    expect(statements).toBeLessThanOrEqual(3);
    expect(await db.staff.count()).toBe(10_000);
    statements = 0;
    expect(await upsertStaff(counting, rows, { account: DEFAULT_ACCOUNT })).toMatchObject({
      unchanged: 10_000,
    });
    expect(statements).toBeLessThanOrEqual(3);
  });

  it('lets concurrent writers of overlapping batches finish without deadlock or duplicates', async () => {
    const written = new Set<number>();
    const shuffled = <T>(items: T[]) => {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [out[i], out[j]] = [out[j] as T, out[i] as T];
      }
      return out;
    };
    const ids = Array.from({ length: 3_000 }, (_, i) => i + 1);
    for (let round = 0; round < 2; round++) {
      const batches = Array.from({ length: 5 }, (_, writer) =>
        shuffled(ids)
          .slice(0, 2_000)
          .map((id) => staff(id, { writer, round })),
      );
      const results = await Promise.all(
        batches.map((batch) => upsertStaff(db, batch, { account: DEFAULT_ACCOUNT })),
      );
      for (const r of results) expect(r.inserted + r.updated + r.unchanged + r.revived).toBe(2_000);
      // A new id is inserted by exactly one writer, whoever came first.
      const fresh = new Set(
        batches
          .flat()
          .map((row) => row.id)
          .filter((id) => !written.has(id)),
      );
      expect(results.reduce((sum, r) => sum + r.inserted, 0)).toBe(fresh.size);
      for (const id of fresh) written.add(id);
    }
    const rows = await db.$queryRaw<Array<{ n: number; d: number }>>`
      SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM staff`;
    expect(rows[0]?.n).toBe(rows[0]?.d);
    expect(rows[0]?.n).toBe(written.size);
  });
});

describe('onlyMissing', () => {
  it('fills gaps, but never overwrites a live row with another copy nor revives a tombstoned one', async () => {
    const staff = (id: number, email: string): StaffRecord => ({
      id,
      email,
      raw: { professionalId: id, email },
    });
    await upsertStaff(db, [staff(1, 'account-wide@example.com'), staff(2, 'gone@example.com')], {
      account: DEFAULT_ACCOUNT,
    });
    await tombstoneEntityRows(db, 'staff', [2], { account: DEFAULT_ACCOUNT });
    const before = await versions('staff');

    const counts = await upsertStaff(
      db,
      [staff(1, 'per-location-copy@example.com'), staff(2, 'back@example.com'), staff(3, 'new@example.com')],
      { account: DEFAULT_ACCOUNT, onlyMissing: true },
    );
    // Only the gap filled counts: the copies of existing rows are counted where they are stored.
    expect(counts).toMatchObject({ inserted: 1, updated: 0, revived: 0, unchanged: 0 });
    const after = await versions('staff');
    expect(after.get(1)?.xmin).toBe(before.get(1)?.xmin);
    expect(after.get(1)?.raw).toEqual({ professionalId: 1, email: 'account-wide@example.com' });
    expect(after.get(2)?.xmin).toBe(before.get(2)?.xmin);
    expect(after.get(2)?.deleted_at).not.toBeNull();
    expect(after.has(3)).toBe(true);
  });
});

/** A logger that keeps what `warn` was given, to check what a batch says (and never says). */
function warnings(): { logger: WarningLogger; calls: Array<[object, string]> } {
  const calls: Array<[object, string]> = [];
  return { calls, logger: { warn: (fields, message) => calls.push([fields, message]) } };
}

describe('numbers that do not fit their typed column', () => {
  it('leaves the column NULL, keeps the number in raw, counts it and names the column once', async () => {
    const service = (id: number, durationMinutes: number, businessId?: number): ServiceRecord => ({
      id,
      name: `Service ${id}`,
      durationMinutes,
      ...(businessId === undefined ? {} : { businessId }),
      raw: {
        reasonId: id,
        visitMinutes: durationMinutes,
        ...(businessId === undefined ? {} : { businessId }),
      },
    });
    const rows = [
      service(1, 3_000_000_000),
      service(2, 2_147_483_647, Number.MAX_SAFE_INTEGER),
      service(3, -2_147_483_649, 2 ** 53),
      service(4, -2_147_483_648),
      service(5, 45.5),
    ];
    const { logger, calls } = warnings();
    expect(await upsertServices(db, rows, { account: DEFAULT_ACCOUNT, logger })).toEqual({
      inserted: 5,
      updated: 0,
      unchanged: 0,
      revived: 0,
      cleanedValues: 0,
      outOfRange: 4,
      tooDeep: 0,
    });
    const stored = new Map(
      (await db.service.findMany({ orderBy: { id: 'asc' } })).map((row) => [Number(row.id), row]),
    );
    expect(stored.get(1)).toMatchObject({ durationMinutes: null, name: 'Service 1' });
    expect(stored.get(1)?.raw).toEqual({ reasonId: 1, visitMinutes: 3_000_000_000 });
    expect(stored.get(2)).toMatchObject({
      durationMinutes: 2_147_483_647,
      businessId: BigInt(Number.MAX_SAFE_INTEGER),
    });
    expect(stored.get(3)).toMatchObject({ durationMinutes: null, businessId: null });
    expect(stored.get(3)?.raw).toEqual({ reasonId: 3, visitMinutes: -2_147_483_649, businessId: 2 ** 53 });
    expect(stored.get(4)?.durationMinutes).toBe(-2_147_483_648);
    expect(stored.get(5)?.durationMinutes).toBeNull();

    expect(calls).toHaveLength(1);
    const [fields, message] = calls[0] as [object, string];
    expect(fields).toEqual({ table: 'services', columns: ['duration_minutes', 'business_id'], values: 4 });
    expect(message).toContain('NULL');
    for (const value of ['3000000000', '2147483649', '9007199254740992', '45.5']) {
      expect(JSON.stringify(calls)).not.toContain(value);
    }

    // The hash covers raw only: the same content again writes nothing.
    expect(await upsertServices(db, rows, { account: DEFAULT_ACCOUNT })).toMatchObject({
      unchanged: 5,
      outOfRange: 4,
    });
  });

  it('applies to every numeric column (business_id of locations and staff)', async () => {
    expect(
      await upsertLocations(
        db,
        [{ id: 1, businessId: 2 ** 60, raw: { locationId: 1, businessId: 2 ** 60 } }],
        { account: DEFAULT_ACCOUNT },
      ),
    ).toMatchObject({ inserted: 1, outOfRange: 1 });
    expect(
      (await db.location.findUniqueOrThrow({ where: { account_id: { account: DEFAULT_ACCOUNT, id: 1n } } }))
        .businessId,
    ).toBeNull();
    expect(
      await upsertStaff(db, [{ ...staff(1), businessId: -(2 ** 60) }], { account: DEFAULT_ACCOUNT }),
    ).toMatchObject({
      inserted: 1,
      outOfRange: 1,
    });
    expect(
      (await db.staff.findUniqueOrThrow({ where: { account_id: { account: DEFAULT_ACCOUNT, id: 1n } } }))
        .businessId,
    ).toBeNull();
  });
});

/** A service whose raw is `depth` objects nested in one another (the top level is 1). */
function deepService(id: number, depth: number): ServiceRecord {
  let value: unknown = 'bottom';
  for (let i = 1; i < depth; i++) value = { a: value };
  return { id, name: `Deep ${id}`, raw: { reasonId: id, a: value } };
}

describe('records nested thousands of levels deep', () => {
  it('stores 3,000 and 10,000 levels whole, and writes nothing when they come again', async () => {
    const rows = [deepService(1, 3_000), deepService(2, 10_000), deepService(3, 2)];
    const { logger, calls } = warnings();
    expect(await upsertServices(db, rows, { account: DEFAULT_ACCOUNT, logger })).toMatchObject({
      inserted: 3,
      tooDeep: 0,
    });
    expect(calls).toEqual([]);
    const stored = await db.service.findMany({ orderBy: { id: 'asc' } });
    expect(stored.map((row) => depthOf(row.raw))).toEqual([3_000, 10_000, 2]);
    for (const row of stored) {
      expect(row.contentHash).toBe(
        contentHash(cleanJson(rows.find((r) => BigInt(r.id) === row.id)?.raw, { cleaned: 0 })),
      );
    }
    const lengths = await db.$queryRaw<Array<{ id: bigint; text_length: number }>>`
      SELECT id, length(raw::text)::int AS text_length FROM services ORDER BY id`;
    expect(lengths[1]?.text_length).toBeGreaterThan(50_000);

    // xmin changes with every row version: unchanged, nothing was written.
    const xmins = () => db.$queryRaw<Array<{ xmin: string }>>`SELECT xmin::text FROM services ORDER BY id`;
    const before = await xmins();
    expect(await upsertServices(db, rows, { account: DEFAULT_ACCOUNT })).toMatchObject({
      unchanged: 3,
      updated: 0,
    });
    expect(await xmins()).toEqual(before);
  });

  it('cuts what is deeper than Postgres parses, keeps the rest of the batch, and says so', async () => {
    const rows = [deepService(1, MAX_JSON_DEPTH + 1), deepService(2, 50_000), deepService(3, 5)];
    const { logger, calls } = warnings();
    expect(await upsertServices(db, rows, { account: DEFAULT_ACCOUNT, logger })).toMatchObject({
      inserted: 3,
      tooDeep: 2,
    });
    const stored = await db.service.findMany({ orderBy: { id: 'asc' } });
    expect(stored.map((row) => depthOf(row.raw))).toEqual([MAX_JSON_DEPTH, MAX_JSON_DEPTH, 5]);
    expect(stored[0]?.name).toBe('Deep 1');
    expect(calls).toEqual([
      [
        { table: 'services', column: 'raw', rows: 2, maxDepth: MAX_JSON_DEPTH },
        expect.stringContaining('deeper'),
      ],
    ]);
    // The hash is over what was stored: the same records again write nothing.
    expect(await upsertServices(db, rows, { account: DEFAULT_ACCOUNT })).toMatchObject({
      unchanged: 3,
      tooDeep: 2,
    });
  });

  it('falls back to a shallower cut when the server allows less stack (max_stack_depth)', async () => {
    const name = new URL(database.url).pathname.slice(1);
    await db.$executeRawUnsafe(`ALTER DATABASE "${name}" SET max_stack_depth = '100kB'`);
    const small = createDatabase(
      { url: database.url, poolSize: 1, connectTimeoutMs: 10_000, statementTimeoutMs: 30_000 },
      pino({ level: 'silent' }),
    );
    try {
      const setting = await small.prisma.$queryRaw<Array<{ max_stack_depth: string }>>`SHOW max_stack_depth`;
      expect(setting[0]?.max_stack_depth).toBe('100kB');
      const { logger, calls } = warnings();
      const rows = [deepService(1, 3_000), deepService(2, 3)];
      expect(await upsertServices(small.prisma, rows, { account: DEFAULT_ACCOUNT, logger })).toMatchObject({
        inserted: 2,
        tooDeep: 1,
      });
      const stored = await small.prisma.service.findMany({ orderBy: { id: 'asc' } });
      expect(stored.map((row) => depthOf(row.raw))).toEqual([500, 3]);
      expect(calls).toEqual([
        [{ table: 'services', column: 'raw', rows: 1, maxDepth: 500 }, expect.stringContaining('deeper')],
      ]);
      expect(await upsertServices(small.prisma, rows, { account: DEFAULT_ACCOUNT })).toMatchObject({
        unchanged: 2,
      });
      // An ordinary batch never needs the fallback.
      const silent = pino({ level: 'silent' });
      expect(
        await upsertStaff(small.prisma, [staff(1)], { account: DEFAULT_ACCOUNT, logger: silent }),
      ).toMatchObject({
        inserted: 1,
        tooDeep: 0,
      });
    } finally {
      await small.close();
      await db.$executeRawUnsafe(`ALTER DATABASE "${name}" RESET max_stack_depth`);
    }
  });
});
