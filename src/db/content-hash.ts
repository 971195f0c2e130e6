/**
 * The fingerprint that lets an unchanged object cost no write: sha256 (hex) over a canonical JSON
 * form of the cleaned `raw` object, with object keys sorted at every depth so that TimeTap
 * reordering its fields is not a change. Array order is kept (it may mean something). Values
 * JSON cannot carry are treated as JSON.stringify treats them (undefined keys dropped, non-finite
 * numbers as null), which is also what reaches the jsonb column.
 *
 * Only `raw` is hashed: the typed columns are derived from it, so they cannot change alone.
 */
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined || typeof item === 'function' ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(item)}`);
  }
  return `{${parts.join(',')}}`;
}

export function contentHash(raw: unknown): string {
  return createHash('sha256').update(canonicalJson(raw)).digest('hex');
}
