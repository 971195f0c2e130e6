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
 * stores the same value as JSON.stringify's text would. The walk is iterative, with a stack of
 * its own: a record nested thousands of levels deep must not overflow the call stack (neither
 * may JSON.stringify, which recurses, see it).
 */
import { createHash } from 'node:crypto';

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

export function canonicalJson(value: unknown, depth?: JsonDepth): string {
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
      out += JSON.stringify(item) ?? 'null';
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
  return createHash('sha256').update(canonical).digest('hex');
}

export function contentHash(raw: unknown): string {
  return hashCanonicalJson(canonicalJson(raw));
}
