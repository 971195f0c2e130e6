/**
 * The write path that every keyed mirror table shares (entities, clients, appointments). Each
 * chunk of rows is ONE statement: the rows arrive as arrays (`unnest`), or for a large chunk
 * through a temporary table filled by COPY (upsert-statement.ts, copy-staging.ts); the rows whose
 * `content_hash` is unchanged and that are not tombstoned are filtered out before the INSERT, so
 * they are not written (nor even locked): no new row version, `updated_at` untouched.
 * `updated_at` moves only when the content changed; a tombstoned row seen again is revived
 * (`deleted_at` cleared). The counts come from RETURNING (`xmax = 0` is a fresh insert) joined
 * with a pre-image of the rows taken by the same statement.
 *
 * A table with a `read_at` column (appointments) also refuses an older read: a row is written only
 * when the read that produced it is not older than the one stored, so that a report page read
 * before a webhook's fetch cannot undo what the fetch wrote.
 */
import type { Prisma } from '../generated/prisma/client.js';
import { chunks, collapseById } from './batch.js';
import {
  type CleanCounter,
  cleanJson,
  cleanOptionalString,
  jsonTextNeedsCleaning,
  MAX_JSON_DEPTH,
} from './clean.js';
import { canonicalJson, hashCanonicalBytes, type JsonDepth } from './content-hash.js';
import { type Db, rawPool } from './database.js';
import type { RunWrite } from './run-id.js';
import { type PreparedRow, type Value, type WrittenCounts, writeChunk } from './upsert-statement.js';

export type { PreparedRow } from './upsert-statement.js';

/**
 * Disjoint outcomes per distinct id: inserted + updated + unchanged + revived = rows written
 * (after collapsing repeated ids). A revived row whose content also changed counts as revived;
 * a row refused for an older read counts as unchanged. Under `onlyMissing` only inserts count.
 * `cleanedValues`: strings (values or keys) that lost a NUL character or a lone surrogate.
 * `outOfRange`: numbers that do not fit their typed column (a 32-bit `integer`, or a `bigint`
 * beyond JavaScript's safe integers), left NULL there; `raw` keeps them.
 * `tooDeep`: rows whose `raw` nests deeper than Postgres can parse; the deeper parts are null.
 * A type, not an interface, so that it is also a `Record<string, number>`.
 */
export type UpsertCounts = {
  inserted: number;
  updated: number;
  unchanged: number;
  revived: number;
  cleanedValues: number;
  outOfRange: number;
  tooDeep: number;
};

/** What the upserts need of a logger (a pino Logger is one). */
export interface WarningLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

type NumericType = 'bigint' | 'integer';

/**
 * A typed column and how to read it off a row. `timestamp` takes a wall-clock text
 * (`YYYY-MM-DD HH:MM:SS`) that the caller has already validated.
 */
export type Column<R> =
  | { name: string; type: 'text' | 'timestamp'; pick: (row: R) => string | undefined }
  | { name: string; type: NumericType; pick: (row: R) => number | undefined };

export interface UpsertTarget<R> {
  table: string;
  columns: readonly Column<R>[];
  /**
   * What is stored (and hashed) of each row's cleaned `raw`, when not all of it (personal data
   * under MIRROR_CLIENT_DATA). Applied after cleaning, so that the stored text can be reduced
   * again later (client-data.ts) to the same value and hash.
   */
  storedRaw?: (cleaned: Record<string, unknown>) => Record<string, unknown>;
  /**
   * Columns the database computes as each row is written, from the row (`c`, its typed columns by
   * name) and other tables: an appointment's `start_at` from its wall clock and its location's zone.
   */
  derived?: ReadonlyArray<{ name: string; sql: Prisma.Sql }>;
}

/** `runId`: the sync run that writes, for the change feed (run-id.ts). */
export interface WriteOptions extends RunWrite {
  /**
   * Write only rows the mirror lacks, leaving the others as they are, tombstoned ones included:
   * for copies met again elsewhere (a location's staff list beside the account-wide one, the
   * objects nested in an appointment), so that a copy shaped a little differently can never
   * overwrite the authoritative one back and forth, nor revive a row whose own URL answered 404.
   */
  onlyMissing?: boolean;
  /** For tables with `read_at`: when TimeTap was read; an older read than the stored one is refused. */
  readAt?: Date;
  /** Where a batch that had to leave values out says so (one warning per kind and call, never a value). */
  logger?: WarningLogger;
}

type Keyed = { id: number; raw: Record<string, unknown> };

/** What each numeric column type holds; a value outside makes the whole statement fail. */
const NUMERIC_RANGE: Record<NumericType, { min: number; max: number }> = {
  integer: { min: -2_147_483_648, max: 2_147_483_647 },
  // Postgres' bigint goes further, but a JavaScript number past this is no longer exact.
  bigint: { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER },
};

/**
 * Postgres' smallest `max_stack_depth` (100kB) parses jsonb about 600 levels deep: a batch that
 * the server refuses for depth is written again with `raw` cut here, so that the sync goes on.
 */
const FALLBACK_JSON_DEPTH = 500;

function emptyCounts(): UpsertCounts {
  return { inserted: 0, updated: 0, unchanged: 0, revived: 0, cleanedValues: 0, outOfRange: 0, tooDeep: 0 };
}

export function bulkUpsert<R extends Keyed>(
  db: Db,
  target: UpsertTarget<R>,
  rows: readonly R[],
  options: WriteOptions,
): Promise<UpsertCounts> {
  return writePreparedRows(
    db,
    target,
    rows.map((row) => prepareRow(row, target)),
    options,
  );
}

/**
 * Writes rows made by `prepareRow` for the same target (a chunk of appointments, prepared as its
 * pages arrived): collapsed by id (the last one wins) and sorted, one statement per BATCH_SIZE.
 */
export async function writePreparedRows<R>(
  db: Db,
  target: UpsertTarget<R>,
  rows: readonly PreparedRow[],
  options: WriteOptions,
): Promise<UpsertCounts> {
  const total = emptyCounts();
  const outOfRangeColumns = new Set<string>();
  let depthLimit = MAX_JSON_DEPTH;
  const pool = rawPool(db);
  for (const chunk of chunks(collapseById(rows))) {
    let prepared: readonly PreparedRow[] = chunk;
    let counts: WrittenCounts[];
    try {
      counts = await writeChunk(db, pool, target, prepared, options);
    } catch (error) {
      if (postgresCode(error) !== STACK_DEPTH_EXCEEDED) throw error;
      // Nothing deeper than the fallback: the refusal is about something else.
      if (!chunk.some((row) => row.shallower)) throw error;
      prepared = chunk.map((row) => row.shallower?.() ?? row);
      depthLimit = FALLBACK_JSON_DEPTH;
      counts = await writeChunk(db, pool, target, prepared, options);
    }
    const { inserted = 0, updated = 0, revived = 0 } = counts[0] ?? {};
    total.inserted += inserted;
    total.updated += updated;
    total.revived += revived;
    // A gap-filling copy of a row that exists is not the row's own sighting: its authoritative
    // copy (the list it belongs to) counts it, so that `unchanged` counts rows, not copies.
    if (options.onlyMissing !== true) total.unchanged += chunk.length - inserted - updated - revived;
    for (const row of prepared) {
      total.cleanedValues += row.cleaned;
      if (row.cut) total.tooDeep += 1;
      for (const column of row.outOfRange ?? []) {
        total.outOfRange += 1;
        outOfRangeColumns.add(column);
      }
    }
  }
  const { table } = target;
  if (total.outOfRange > 0) {
    options.logger?.warn(
      { table, columns: [...outOfRangeColumns], values: total.outOfRange },
      'numbers that do not fit their typed column were stored as NULL there (raw keeps them)',
    );
  }
  if (total.tooDeep > 0) {
    options.logger?.warn(
      { table, column: 'raw', rows: total.tooDeep, maxDepth: depthLimit },
      'records nested deeper than Postgres can store were stored with the deeper parts as null',
    );
  }
  return total;
}

/** One row as the statement takes it: typed columns, the canonical text of `raw`, its hash. */
export function prepareRow<R extends Keyed>(
  row: R,
  target: UpsertTarget<R>,
  maxDepth = MAX_JSON_DEPTH,
): PreparedRow {
  const counter: CleanCounter = { cleaned: 0, cut: 0 };
  const { canonical, cut, depth } = canonicalRaw(row.raw, target.storedRaw, counter, maxDepth);
  let outOfRange: string[] | undefined;
  const typed = target.columns.map((column) => {
    const value = typedValue(column, row, counter);
    if (value === OUT_OF_RANGE) {
      outOfRange ??= [];
      outOfRange.push(column.name);
      return null;
    }
    return value;
  });
  const raw = Buffer.from(canonical, 'utf8');
  const prepared: PreparedRow = {
    id: row.id,
    typed,
    raw,
    hash: hashCanonicalBytes(raw),
    cleaned: counter.cleaned,
    cut,
  };
  if (outOfRange) prepared.outOfRange = outOfRange;
  if (depth > FALLBACK_JSON_DEPTH && maxDepth > FALLBACK_JSON_DEPTH) {
    prepared.shallower = () => prepareRow(row, target, FALLBACK_JSON_DEPTH);
  }
  return prepared;
}

/**
 * The text that is both hashed and stored of one row's `raw`: jsonb keeps no key order, so it
 * stores the same value, and JSON.stringify, which recurses, is never needed for a deep record.
 * Most records hold nothing to clean and nest shallowly: their canonical text, with its depth, is
 * then written straight from the record, without the deep copy that cleaning makes.
 */
export function canonicalRaw(
  raw: Record<string, unknown>,
  storedRaw: ((cleaned: Record<string, unknown>) => Record<string, unknown>) | undefined,
  counter: CleanCounter,
  maxDepth: number,
): { canonical: string; cut: boolean; depth: number } {
  const depth: JsonDepth = { deepest: 0 };
  const direct = canonicalJson(raw, depth);
  if (depth.deepest <= maxDepth && !jsonTextNeedsCleaning(direct)) {
    const stored = storedRaw ? storedRaw(raw) : raw;
    // A policy that keeps the whole record hands the same object back: its text is written.
    return { canonical: stored === raw ? direct : canonicalJson(stored), cut: false, depth: depth.deepest };
  }
  const cutBefore = counter.cut ?? 0;
  const cleaned = cleanJson(raw, counter, maxDepth) as Record<string, unknown>;
  return {
    canonical: canonicalJson(storedRaw ? storedRaw(cleaned) : cleaned),
    cut: (counter.cut ?? 0) > cutBefore,
    depth: depth.deepest,
  };
}

/** What `typedValue` returns for a number that does not fit its column (stored as NULL). */
const OUT_OF_RANGE = Symbol('out of range');

function typedValue<R>(column: Column<R>, row: R, counter: CleanCounter): Value | typeof OUT_OF_RANGE {
  switch (column.type) {
    case 'text':
      return cleanOptionalString(column.pick(row), counter);
    case 'timestamp':
      return column.pick(row) ?? null;
    case 'integer':
    case 'bigint': {
      const value = column.pick(row);
      if (value === undefined) return null;
      const { min, max } = NUMERIC_RANGE[column.type];
      return Number.isInteger(value) && value >= min && value <= max ? value : OUT_OF_RANGE;
    }
    default: {
      const unknownColumn: never = column;
      throw new Error(`unknown column type of ${String(unknownColumn)}`);
    }
  }
}

/** SQLSTATE of "stack depth limit exceeded", which is how Postgres refuses too deep a jsonb. */
const STACK_DEPTH_EXCEEDED = '54001';

/** The SQLSTATE under a Prisma error of a raw query (driver adapter) or a plain pg error. */
function postgresCode(error: unknown): string | undefined {
  const shaped = error as {
    code?: unknown;
    meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } };
  } | null;
  const code = shaped?.meta?.driverAdapterError?.cause?.originalCode ?? shaped?.code;
  return typeof code === 'string' ? code : undefined;
}
