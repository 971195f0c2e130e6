/**
 * The staging path of the bulk writers: a large batch is streamed with `COPY` into a temporary
 * table, and the same `INSERT ... SELECT ... ON CONFLICT` as for a small batch then reads it from
 * there instead of from `unnest`ed array parameters. COPY's text format is what Postgres parses
 * fastest; arrays of long JSON texts cost quoting and escaping on both sides.
 *
 * COPY needs a raw connection: Prisma's raw queries (through the driver adapter) take a statement
 * and its parameters, with no way to stream `COPY ... FROM STDIN`. The connection is borrowed from
 * the pool under the Prisma client (database.ts), so the pool's limits and statement timeout hold
 * for it as for every other query. Everything else stays with Prisma.
 *
 * The table is created, filled, read and dropped inside one transaction on that connection
 * (`ON COMMIT DROP`), so nothing of it outlives the batch, whatever fails.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Prisma } from '../generated/prisma/client.js';
import { setLocalRunId } from './run-id.js';

/**
 * Rows from which a batch goes through the staging table rather than `unnest`. Measured on staff
 * rows of the write-path benchmark (time in the database, median of 7, first load / 10% changed):
 * 300 rows 31 / 27 ms staged against 35 / 23 ms as arrays, 500 rows 36 / 24 against 34 / 28,
 * 1,000 rows 60 / 40 against 79 / 64, 5,000 rows 215 / 116 against 548 / 440. Below about 500 the
 * extra round trips (BEGIN and CREATE, COPY, ANALYZE, COMMIT) cost what the parsing saves.
 */
export const STAGING_THRESHOLD = 500;

/** The name every staged batch uses: it lives in its own session's temporary schema only. */
const STAGING = 'pg_temp.sync_staging';

/** A value of a row; bytes are UTF-8 text (a row's `raw`, encoded once, as it was hashed). */
export type CopyValue = string | number | null | Uint8Array;

export interface StagedColumn {
  name: string;
  /** A Postgres type name (from our own column definitions, never from data). */
  type: string;
}

/**
 * Copies `rows` (one array of values per row, in the order of `columns`) into a temporary table,
 * runs `statement(staging)` once, where `staging` names that table, and returns its rows.
 * `runId`: the sync run that writes, set for the transaction (run-id.ts).
 */
export async function queryThroughStaging<T>(
  pool: pg.Pool,
  columns: readonly StagedColumn[],
  rows: readonly (readonly CopyValue[])[],
  statement: (staging: Prisma.Sql) => Prisma.Sql,
  runId?: number,
): Promise<T[]> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const definition = columns.map((c) => `${c.name} ${c.type}`).join(', ');
    try {
      // A batch of BATCH_SIZE rows sorts in memory with room to spare (the default 4MB spills).
      const run = runId === undefined ? '' : `${setLocalRunId(runId)}; `;
      await client.query(
        `BEGIN; SET LOCAL work_mem = '32MB'; ${run}CREATE TEMPORARY TABLE ${STAGING} (${definition}) ON COMMIT DROP`,
      );
      await pipeline(
        Readable.from(copyText(rows)),
        client.query(copyFrom(`COPY ${STAGING} (${columns.map((c) => c.name).join(', ')}) FROM STDIN`)),
      );
      // Statistics, so that the plan fits the batch (a table without any is guessed at, and a
      // guess too large can switch on JIT compilation, which costs more than the batch). Of the
      // key alone: the row count comes with it, and the plan joins on nothing else, where the
      // wide columns (raw) cost the most to sample (5,000 staff rows: 37-60 ms for every
      // column, 8 ms for the key).
      await client.query(`ANALYZE ${STAGING} (${columns[0]?.name ?? 'id'})`);
      const query = statement(Prisma.raw(STAGING));
      const result = await client.query(query.text, query.values);
      await client.query('COMMIT');
      return result.rows as T[];
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        // A connection that cannot even roll back is not handed to the next query.
        broken = rollbackError;
      });
      throw error;
    }
  } finally {
    client.release(broken);
  }
}

/** COPY's text format in pieces of a few hundred rows, each one buffer of UTF-8. */
function* copyText(rows: readonly (readonly CopyValue[])[]): Generator<Buffer> {
  const out = new CopyBuffer();
  for (let i = 0; i < rows.length; i += 1) {
    out.line(rows[i] ?? []);
    if (i % 500 === 499) yield out.take();
  }
  if (out.length > 0) yield out.take();
}

const BACKSLASH = 0x5c;

/** The bytes COPY's text format reads as special besides the backslash. */
const CONTROL = [0x09, 0x0a, 0x0d] as const;

/**
 * Rows in COPY's text format, written into one growing buffer: tab-separated, `\N` for NULL,
 * backslash escapes. Bytes (JSON text, which escapes every tab, newline and carriage return
 * itself) are copied as they are, with each backslash doubled.
 */
class CopyBuffer {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  length = 0;

  /** One row; its text values go in one write (a write per value cost more than the copying). */
  line(values: readonly CopyValue[]): void {
    let text = '';
    for (let i = 0; i < values.length; i += 1) {
      if (i > 0) text += '\t';
      const value = values[i];
      if (value === null || value === undefined) text += '\\N';
      else if (typeof value === 'number') text += String(value);
      else if (typeof value === 'string') text += escapeCopy(value);
      else {
        this.text(text);
        text = '';
        this.bytes(value);
      }
    }
    this.text(`${text}\n`);
  }

  /** What was written since the last take, as its own buffer. */
  take(): Buffer {
    const piece = Buffer.from(this.buffer.subarray(0, this.length));
    this.length = 0;
    return piece;
  }

  private text(value: string): void {
    // At most three bytes of UTF-8 per UTF-16 unit.
    this.reserve(value.length * 3);
    this.length += this.buffer.write(value, this.length, 'utf8');
  }

  private bytes(value: Uint8Array): void {
    if (CONTROL.some((byte) => value.includes(byte))) {
      this.text(escapeCopy(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8')));
      return;
    }
    let start = 0;
    for (;;) {
      const slash = value.indexOf(BACKSLASH, start);
      const end = slash === -1 ? value.length : slash + 1;
      this.reserve(end - start + 1);
      this.buffer.set(value.subarray(start, end), this.length);
      this.length += end - start;
      if (slash === -1) return;
      this.buffer[this.length] = BACKSLASH;
      this.length += 1;
      start = end;
    }
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const larger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(larger, 0, 0, this.length);
    this.buffer = larger;
  }
}
const SPECIAL = /[\\\n\r\t]/;
const SPECIALS = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeCopy(value: string): string {
  // NUL cannot be in a COPY text at all; the writers have cleaned it out of every value already.
  return SPECIAL.test(value) ? value.replace(SPECIALS, (c) => ESCAPES[c] ?? c) : value;
}
