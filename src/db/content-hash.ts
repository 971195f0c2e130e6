/**
 * The fingerprint that lets an unchanged object cost no write: sha256 (hex) over a canonical JSON
 * form of the cleaned `raw` object, with object keys sorted at every depth so that TimeTap
 * reordering its fields is not a change. Array order is kept (it may mean something). Values
 * JSON cannot carry are treated as JSON.stringify treats them (undefined keys dropped, non-finite
 * numbers as null), which is also what reaches the jsonb column.
 *
 * Only `raw` is hashed: the typed columns are derived from it, so they cannot change alone.
 *
 * The canonical text is also what the upsert hands to Postgres: jsonb keeps no key order, so it
 * stores the same value as JSON.stringify's text would. The walk recurses while the record is
 * shallow, as every TimeTap object is: a plain recursion beats a stack of frames (20,000
 * appointment-shaped records hashed in 290 ms against 390 ms), and this walk is the largest single
 * share of a backfill's CPU. Deeper than RECURSION_DEPTH it goes on with an iterative walk of its
 * own stack: a record nested thousands of levels deep must not overflow the call stack (neither
 * may JSON.stringify, which recurses, see it).
 *
 * Most records take a faster way to the same text (`sortedCopy`): a copy of the record whose
 * objects hold their keys in sorted order, written by JSON.stringify, which keeps that order.
 * Measured on bench 6's appointments: a third of the walk's time, and none of the garbage that
 * sorting each object's keys and joining its pieces made (half of what a backfill allocated).
 * It gives way to the walk for anything JSON.stringify would order or write otherwise: a key that
 * looks like an array index (such keys come first, in numeric order), `__proto__`, an object that
 * is not a plain one, and more than SORTED_COPY_DEPTH levels.
 */
import { hash } from 'node:crypto';

type Frame =
  | { kind: 'array'; value: object; items: readonly unknown[]; next: number }
  | {
      kind: 'object';
      value: object;
      record: Record<string, unknown>;
      keys: string[];
      next: number;
      wrote: boolean;
    };

/** Left out of an object, null in an array: as JSON.stringify does. */
function isOmitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/** Filled in by `canonicalJson` when given: how deep the value nests (the top level is 1). */
export interface JsonDepth {
  deepest: number;
}

/** Levels walked by recursion; a deeper subtree is written by `iterativeCanonicalJson`. */
const RECURSION_DEPTH = 200;

export function canonicalJson(value: unknown, depth?: JsonDepth): string {
  const copy = depth === undefined ? sortedCopy(value, 1, { deepest: 0 }) : sortedCopy(value, 1, depth);
  return copy === NOT_COPIED
    ? writeCanonical(value, 1, depth)
    : (JSON.stringify(copy) ?? primitiveJson(copy));
}

/** What `sortedCopy` returns for a value it leaves to the walk. */
const NOT_COPIED = Symbol('not copied');

/** Levels a sorted copy goes to; TimeTap's records nest a few. */
const SORTED_COPY_DEPTH = 32;

/** A key JSON.stringify writes before all others, whatever the order of insertion. */
const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/;

/**
 * `value` with every object's keys inserted in sorted order and the keys the walk omits left out,
 * or NOT_COPIED. `depth` learns how deep it nests, as the walk's would.
 */
function sortedCopy(value: unknown, level: number, depth: JsonDepth): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (level > SORTED_COPY_DEPTH) return NOT_COPIED;
  if (level > depth.deepest) depth.deepest = level;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i += 1) {
      const item = sortedCopy(value[i], level + 1, depth);
      if (item === NOT_COPIED) return NOT_COPIED;
      out[i] = item;
    }
    return out;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return NOT_COPIED;
  const record = value as Record<string, unknown>;
  const keys = sortKeys(Object.keys(record));
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    if (key === '__proto__' || ARRAY_INDEX.test(key)) return NOT_COPIED;
    const item = record[key];
    if (isOmitted(item)) continue;
    const copy = sortedCopy(item, level + 1, depth);
    if (copy === NOT_COPIED) return NOT_COPIED;
    out[key] = copy;
  }
  return out;
}

/** Sorted in place as `Array.prototype.sort` would; a short list without the copy that sort makes. */
function sortKeys(keys: string[]): string[] {
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i += 1) {
    const key = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > key) {
      keys[j + 1] = keys[j] as string;
      j -= 1;
    }
    keys[j + 1] = key;
  }
  return keys;
}

/** `level`: the depth a container at `value` has (the top level is 1). */
function writeCanonical(value: unknown, level: number, depth: JsonDepth | undefined): string {
  if (value === null || typeof value !== 'object') return primitiveJson(value);
  if (level > RECURSION_DEPTH) {
    // A cycle also ends up here, and the iterative walk refuses it.
    const below: JsonDepth = { deepest: 0 };
    const text = iterativeCanonicalJson(value, below);
    if (depth !== undefined) depth.deepest = Math.max(depth.deepest, level - 1 + below.deepest);
    return text;
  }
  if (depth !== undefined && level > depth.deepest) depth.deepest = level;
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i += 1) {
      if (i > 0) out += ',';
      const item: unknown = value[i];
      out += isOmitted(item) ? 'null' : writeCanonical(item, level + 1, depth);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  for (const key of keys) {
    const item = record[key];
    if (isOmitted(item)) continue;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${writeCanonical(item, level + 1, depth)}`;
  }
  return `${out}}`;
}

function primitiveJson(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  return JSON.stringify(value) ?? 'null';
}

function iterativeCanonicalJson(value: unknown, depth?: JsonDepth): string {
  let out = '';
  const stack: Frame[] = [];
  // The containers being written: one met again below itself is a cycle, which JSON cannot carry.
  const open = new Set<object>();
  const close = (frame: Frame): void => {
    stack.pop();
    open.delete(frame.value);
  };

  const enter = (item: unknown): void => {
    if (item === null || typeof item !== 'object') {
      out += primitiveJson(item);
      return;
    }
    if (open.has(item)) throw new TypeError('canonicalJson: cyclic structure');
    open.add(item);
    if (depth !== undefined && stack.length >= depth.deepest) depth.deepest = stack.length + 1;
    if (Array.isArray(item)) {
      out += '[';
      stack.push({ kind: 'array', value: item, items: item, next: 0 });
    } else {
      const record = item as Record<string, unknown>;
      out += '{';
      stack.push({
        kind: 'object',
        value: item,
        record,
        keys: Object.keys(record).sort(),
        next: 0,
        wrote: false,
      });
    }
  };

  enter(value);
  for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
    switch (frame.kind) {
      case 'array': {
        if (frame.next === frame.items.length) {
          out += ']';
          close(frame);
          break;
        }
        if (frame.next > 0) out += ',';
        const item = frame.items[frame.next++];
        if (isOmitted(item)) out += 'null';
        else enter(item);
        break;
      }
      case 'object': {
        let key: string | undefined;
        while (frame.next < frame.keys.length && key === undefined) {
          const candidate = frame.keys[frame.next++] as string;
          if (!isOmitted(frame.record[candidate])) key = candidate;
        }
        if (key === undefined) {
          out += '}';
          close(frame);
          break;
        }
        out += `${frame.wrote ? ',' : ''}${JSON.stringify(key)}:`;
        frame.wrote = true;
        enter(frame.record[key]);
        break;
      }
      default: {
        const unknownFrame: never = frame;
        throw new Error(`canonicalJson: unknown frame ${String(unknownFrame)}`);
      }
    }
  }
  return out;
}

/** The content hash of a canonical JSON text (what `canonicalJson` returns). */
export function hashCanonicalJson(canonical: string): string {
  return hash('sha256', canonical, 'hex');
}

/** The same hash of the same text already encoded as UTF-8. */
export function hashCanonicalBytes(canonical: Uint8Array): string {
  return hash('sha256', canonical, 'hex');
}

export function contentHash(raw: unknown): string {
  return hashCanonicalJson(canonicalJson(raw));
}
