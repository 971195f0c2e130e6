/**
 * The migrated database matches prisma/schema.prisma: every model is a table, every field a
 * column of a compatible type and nullability, and every @id / @@id / @@index exists (partial
 * ones with their WHERE clause). Adding a field to the schema without a migration fails here, and
 * so does a column in the migrations that the schema lacks. The schema is read by a small parser
 * (the Prisma CLI's own DMMF parser, @prisma/internals, is not a dependency).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useMigratedSchema } from '../helpers/schema.js';

interface Field {
  name: string;
  column: string;
  type: string;
  optional: boolean;
  native?: string;
  precision?: number;
  hasDefault: boolean;
  id: boolean;
}
interface Index {
  name: string;
  columns: string[];
  where?: string;
}
interface Model {
  name: string;
  table: string;
  fields: Field[];
  primaryKey: string[];
  indexes: Index[];
}

function parseSchema(text: string): Model[] {
  const models: Model[] = [];
  for (const match of text.matchAll(/^model\s+(\w+)\s*\{([\s\S]*?)^\}/gm)) {
    const [, name = '', body = ''] = match;
    const fields: Field[] = [];
    const block: string[] = [];
    for (const raw of body.split('\n')) {
      const line = raw.replace(/\/\/.*$/, '').trim();
      if (line === '') continue;
      if (line.startsWith('@@')) {
        block.push(line);
        continue;
      }
      const f = /^(\w+)\s+(\w+)(\?|\[\])?\s*(.*)$/.exec(line);
      if (!f) throw new Error(`cannot parse field line: ${line}`);
      const [, fieldName = '', type = '', modifier, attrs = ''] = f;
      if (/@relation/.test(attrs)) continue;
      const native = /@db\.(\w+)(?:\((\d+)\))?/.exec(attrs);
      fields.push({
        name: fieldName,
        column: /@map\("([^"]+)"\)/.exec(attrs)?.[1] ?? fieldName,
        type,
        optional: modifier === '?',
        ...(native?.[1] ? { native: native[1] } : {}),
        ...(native?.[2] ? { precision: Number(native[2]) } : {}),
        hasDefault: /@default\(/.test(attrs),
        id: /@id\b/.test(attrs),
      });
    }
    const columnOf = (fieldName: string) => fields.find((x) => x.name === fieldName)?.column ?? fieldName;
    const list = (s: string) => s.split(',').map((x) => columnOf(x.trim()));
    const table = block.map((b) => /^@@map\("([^"]+)"\)/.exec(b)?.[1]).find(Boolean) ?? name;
    let primaryKey = fields.filter((x) => x.id).map((x) => x.column);
    const indexes: Index[] = [];
    for (const b of block) {
      const id = /^@@id\(\[([^\]]+)\]/.exec(b);
      if (id?.[1]) primaryKey = list(id[1]);
      const index = /^@@index\(\[([^\]]+)\](.*)\)$/.exec(b);
      if (index?.[1]) {
        const columns = list(index[1]);
        const where = /where:\s*raw\("([^"]+)"\)/.exec(index[2] ?? '')?.[1];
        indexes.push({
          name: /map:\s*"([^"]+)"/.exec(index[2] ?? '')?.[1] ?? `${table}_${columns.join('_')}_idx`,
          columns,
          ...(where ? { where } : {}),
        });
      }
    }
    models.push({ name, table, fields, primaryKey, indexes });
  }
  return models;
}

/** The Postgres type Prisma Migrate creates for a field. */
function expectedType(field: Field): { dataType: string; precision?: number } {
  switch (field.native ?? field.type) {
    case 'BigInt':
      return { dataType: 'bigint' };
    case 'Int':
    case 'Integer':
      return { dataType: 'integer' };
    case 'String':
    case 'Text':
      return { dataType: 'text' };
    case 'Json':
      return { dataType: 'jsonb' };
    case 'Boolean':
      return { dataType: 'boolean' };
    case 'Float':
      return { dataType: 'double precision' };
    case 'Decimal':
      return { dataType: 'numeric' };
    case 'Timestamptz':
      return { dataType: 'timestamp with time zone', precision: field.precision ?? 6 };
    case 'DateTime':
      return { dataType: 'timestamp without time zone', precision: 3 };
    default:
      throw new Error(
        `test does not know the type of ${field.name} (${field.native ?? field.type}); extend it`,
      );
  }
}

const schema = parseSchema(readFileSync(join(import.meta.dirname, '../../prisma/schema.prisma'), 'utf8'));
const migrated = useMigratedSchema();

describe('the migrated database matches schema.prisma', () => {
  it('parses every model of the schema', () => {
    expect(schema.map((m) => m.table).sort()).toEqual(
      [
        'account_profiles',
        'appointment_history',
        'appointments',
        'backfill_chunks',
        'clients',
        'location_services',
        'location_staff',
        'locations',
        'services',
        'staff',
        'staff_services',
        'sync_runs',
      ].sort(),
    );
  });

  it.each(schema.map((m) => [m.table, m] as const))(
    'table %s has exactly the schema’s columns',
    async (table, model) => {
      const { rows } = await migrated.client.query<{
        column_name: string;
        data_type: string;
        is_nullable: 'YES' | 'NO';
        column_default: string | null;
        datetime_precision: number | null;
      }>(
        `SELECT column_name, data_type, is_nullable, column_default, datetime_precision
       FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
        [table],
      );
      expect(rows.length, `table ${table} exists`).toBeGreaterThan(0);
      const byName = new Map(rows.map((r) => [r.column_name, r]));
      for (const field of model.fields) {
        const column = byName.get(field.column);
        expect(
          column,
          `${table}.${field.column} (field ${model.name}.${field.name}) has a migration`,
        ).toBeDefined();
        const expected = expectedType(field);
        expect(column?.data_type, `${table}.${field.column} type`).toBe(expected.dataType);
        if (expected.precision !== undefined) expect(column?.datetime_precision).toBe(expected.precision);
        expect(column?.is_nullable, `${table}.${field.column} nullability`).toBe(
          field.optional ? 'YES' : 'NO',
        );
        expect(column?.column_default !== null, `${table}.${field.column} default`).toBe(field.hasDefault);
      }
      const extra = rows.map((r) => r.column_name).filter((c) => !model.fields.some((f) => f.column === c));
      expect(extra, `columns of ${table} missing from schema.prisma`).toEqual([]);
    },
  );

  it.each(schema.map((m) => [m.table, m] as const))(
    'table %s has the schema’s keys and indexes',
    async (table, model) => {
      const pk = await migrated.client.query<{ column_name: string }>(
        `SELECT a.attname AS column_name
       FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
       WHERE i.indrelid = $1::regclass AND i.indisprimary
       ORDER BY array_position(i.indkey::int2[], a.attnum)`,
        [table],
      );
      expect(pk.rows.map((r) => r.column_name)).toEqual(model.primaryKey);
      const { rows } = await migrated.client.query<{ indexname: string; indexdef: string }>(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1",
        [table],
      );
      for (const index of model.indexes) {
        const found = rows.find((r) => r.indexname === index.name);
        expect(found, `index ${index.name}`).toBeDefined();
        expect(found?.indexdef).toContain(`(${index.columns.join(', ')})`);
        if (index.where) expect(found?.indexdef).toContain(`WHERE (${index.where})`);
        else expect(found?.indexdef).not.toContain('WHERE');
      }
      const declared = new Set([`${table}_pkey`, ...model.indexes.map((i) => i.name)]);
      expect(rows.map((r) => r.indexname).filter((n) => !declared.has(n))).toEqual([]);
    },
  );

  // Driven by the parsed schema, so that a model the generated client lacks (not regenerated) or
  // cannot read (a column it selects that the migrations never made) fails here by name.
  it.each(schema.map((m) => [m.name] as const))(
    'model %s is readable through the generated Prisma client',
    async (name) => {
      const delegateName = name.charAt(0).toLowerCase() + name.slice(1);
      const delegate = (migrated.database.db as unknown as Record<string, unknown>)[delegateName] as
        | { findMany?: (args: { take: number }) => Promise<unknown> }
        | undefined;
      expect(delegate?.findMany, `db.${delegateName}.findMany`).toBeTypeOf('function');
      await expect(delegate?.findMany?.({ take: 1 })).resolves.toBeInstanceOf(Array);
    },
  );
});
