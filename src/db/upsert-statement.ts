/**
 * The statement of the write path (bulk-upsert.ts) and where it reads its rows from: a small
 * chunk as `unnest`ed array parameters through Prisma, a chunk of STAGING_THRESHOLD rows or more
 * from a temporary table filled by COPY (copy-staging.ts). Either way the rows arrive as a CTE
 * named `input`, and the rest of the statement is the same.
 */
import type pg from 'pg';
import { Prisma } from '../generated/prisma/client.js';
import type { UpsertTarget, WriteOptions } from './bulk-upsert.js';
import { type CopyValue, queryThroughStaging, STAGING_THRESHOLD, type StagedColumn } from './copy-staging.js';
import type { Db } from './database.js';
import { queryInRun } from './run-id.js';

export type Value = CopyValue;

/**
 * One row as the statement takes it, made once (bulk-upsert.ts `prepareRow`): for appointments as
 * soon as their page arrives, so that a chunk read whole holds these rather than parsed records.
 */
export interface PreparedRow {
  id: number;
  /** The target's typed columns, in their order. */
  typed: Value[];
  /**
   * The canonical text of what is stored of `raw`, as UTF-8: encoded once, hashed into `hash` and
   * copied as it is into COPY's stream; and held outside V8's heap while a chunk is read.
   */
  raw: Buffer;
  hash: string;
  /** Strings (values or keys) that lost a NUL or a lone surrogate. */
  cleaned: number;
  /** Typed columns left NULL for a value that does not fit them. */
  outOfRange?: readonly string[];
  /** `raw` had parts too deep for Postgres, stored as null. */
  cut: boolean;
  /**
   * The row made again with `raw` cut shallower, for a batch that Postgres refuses for depth; only
   * a row deeper than that has one (every other row would come out the same).
   */
  shallower?: () => PreparedRow;
}

export type WrittenCounts = { inserted: number; updated: number; revived: number };

/**
 * Writes one prepared chunk; `pool` is the pg pool under `db` (undefined: arrays only). The first
 * row of the answer has the counts.
 */
export function writeChunk<R>(
  db: Db,
  pool: pg.Pool | undefined,
  target: UpsertTarget<R>,
  prepared: readonly PreparedRow[],
  options: WriteOptions,
): Promise<WrittenCounts[]> {
  if (pool === undefined || prepared.length < STAGING_THRESHOLD) {
    return queryInRun(db, options.runId, upsertStatement(target, unnestInput(target, prepared), options));
  }
  return queryThroughStaging(
    pool,
    stagedColumns(target),
    stagedRows(prepared),
    (staging) =>
      // Not materialized: the table can be read twice, where a materialized copy of a large chunk
      // would spill to disk past work_mem.
      upsertStatement(target, Prisma.sql`input AS NOT MATERIALIZED (SELECT * FROM ${staging})`, options),
    options.runId,
  );
}

/** The staging table's columns: the input's, in the order `unnestInput` names them. */
function stagedColumns<R>({ columns }: UpsertTarget<R>): StagedColumn[] {
  return [
    { name: 'id', type: 'bigint' },
    ...columns.map(({ name, type }) => ({ name, type })),
    { name: 'raw', type: 'text' },
    { name: 'content_hash', type: 'text' },
  ];
}

function stagedRows(rows: readonly PreparedRow[]): Value[][] {
  return rows.map(({ id, typed, raw, hash }) => [id, ...typed, raw, hash]);
}

/** The chunk as the `input` CTE: one array parameter per column. */
function unnestInput<R>({ columns }: UpsertTarget<R>, rows: readonly PreparedRow[]): Prisma.Sql {
  const list = Prisma.raw(columns.map((c) => c.name).join(', '));
  const ids = rows.map((r) => r.id);
  const raws = rows.map((r) => r.raw.toString('utf8'));
  const hashes = rows.map((r) => r.hash);
  const arrays = Prisma.join(
    columns.map((c, i) => Prisma.sql`${rows.map((r) => r.typed[i] ?? null)}::${Prisma.raw(c.type)}[]`),
  );
  return Prisma.sql`input AS (
      SELECT * FROM unnest(${ids}::bigint[], ${arrays}, ${raws}::text[], ${hashes}::text[])
        AS i(id, ${list}, raw, content_hash)
    )`;
}

/**
 * `input`: the CTE named `input` of the rows (id, the typed columns, raw as text, content_hash),
 * all of `options.account`: one statement writes one account's rows (`c.account` for `derived`).
 */
function upsertStatement<R>(
  { table, columns, derived = [] }: UpsertTarget<R>,
  input: Prisma.Sql,
  { onlyMissing = false, readAt, account }: WriteOptions,
): Prisma.Sql {
  // Under onlyMissing an existing row is never written: neither its content nor its tombstone.
  const mayRewrite = onlyMissing ? Prisma.sql`FALSE` : Prisma.sql`TRUE`;
  // Not older than the stored read (tables with read_at only); the same read again may write.
  const notOlder = (alias: string) =>
    readAt === undefined
      ? Prisma.sql`TRUE`
      : Prisma.sql`${readAt}::timestamptz >= ${Prisma.raw(alias)}.read_at`;
  const readColumn = readAt === undefined ? Prisma.empty : Prisma.sql`, read_at`;
  const readValue = readAt === undefined ? Prisma.empty : Prisma.sql`, ${readAt}::timestamptz`;
  const readSet = readAt === undefined ? Prisma.empty : Prisma.sql`, read_at = excluded.read_at`;
  const names = columns.map((c) => c.name);
  const written = Prisma.raw([...names, ...derived.map((d) => d.name)].join(', '));
  const values = Prisma.join([Prisma.raw(names.join(', ')), ...derived.map((d) => d.sql)]);
  const sets = Prisma.raw(
    [...names, ...derived.map((d) => d.name)].map((n) => `${n} = excluded.${n}`).join(', '),
  );
  const target = Prisma.raw(table);
  return Prisma.sql`
    WITH ${input},
    before AS (
      SELECT t.id, t.content_hash, t.deleted_at${readColumn} FROM ${target} t
      WHERE t.account = ${account} AND t.id = ANY(ARRAY(SELECT id FROM input))
    ),
    changed AS (
      SELECT i.*, ${account}::text AS account FROM input i LEFT JOIN before b ON b.id = i.id
      WHERE b.id IS NULL OR (${mayRewrite} AND (b.deleted_at IS NOT NULL
        OR b.content_hash IS DISTINCT FROM i.content_hash) AND ${notOlder('b')})
    ),
    written AS (
      INSERT INTO ${target} AS t (account, id, ${written}, raw, content_hash${readColumn})
      SELECT account, id, ${values}, raw::jsonb, content_hash${readValue} FROM changed c ORDER BY id
      ON CONFLICT (account, id) DO UPDATE SET ${sets}, raw = excluded.raw, content_hash = excluded.content_hash${readSet},
        updated_at = CASE WHEN t.content_hash IS DISTINCT FROM excluded.content_hash THEN now() ELSE t.updated_at END,
        deleted_at = NULL
      -- Repeated here for a row that a concurrent writer brought up to date meanwhile.
      WHERE ${mayRewrite} AND (t.deleted_at IS NOT NULL
        OR t.content_hash IS DISTINCT FROM excluded.content_hash) AND ${notOlder('t')}
      RETURNING t.id, (t.xmax = 0) AS inserted
    )
    SELECT
      count(*) FILTER (WHERE w.inserted)::int AS inserted,
      count(*) FILTER (WHERE NOT w.inserted AND b.deleted_at IS NULL)::int AS updated,
      count(*) FILTER (WHERE NOT w.inserted AND b.deleted_at IS NOT NULL)::int AS revived
    FROM written w LEFT JOIN before b ON b.id = w.id`;
}
