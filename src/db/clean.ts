/**
 * What Postgres cannot store is taken out before a write: text and jsonb reject the NUL character
 * (U+0000), and jsonb rejects a lone UTF-16 surrogate (JSON.stringify escapes it as `\udXXX`,
 * which jsonb refuses; in text it would silently become U+FFFD). NULs are removed, lone
 * surrogates replaced by U+FFFD, in values and object keys alike. jsonb cannot hold nesting
 * deeper than Postgres' stack allows either: such a subtree becomes null (MAX_JSON_DEPTH).
 * Everything else, including emoji and very long strings, is kept as sent.
 */

const NUL = '\u0000';
const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * What JSON.stringify writes for the characters cleaning changes: NUL as `\u0000`, a lone
 * surrogate as `\udXXX` (a pair is written as itself). A JSON text without either (nor with the
 * same six characters in a string, which only costs the slow path) holds nothing to clean.
 */
const UNCLEAN_ESCAPE = /\\u(?:0000|d[89a-f])/;

/** Whether a JSON text written by JSON.stringify (or `canonicalJson`) holds what cleaning changes. */
export function jsonTextNeedsCleaning(text: string): boolean {
  return UNCLEAN_ESCAPE.test(text);
}

/** Counts the strings (values or keys) that had to change, and the subtrees cut for depth. */
export interface CleanCounter {
  cleaned: number;
  /** Containers replaced by null for lying deeper than Postgres can parse (see MAX_JSON_DEPTH). */
  cut?: number;
}

export function cleanString(value: string, counter: CleanCounter): string {
  const hasNul = value.includes(NUL);
  // Any surrogate (emoji are pairs) is worth a closer look; most strings have none.
  const hasSurrogate = SURROGATE.test(value);
  if (!hasNul && !hasSurrogate) return value;
  let cleaned = hasNul ? value.replaceAll(NUL, '') : value;
  if (hasSurrogate) cleaned = cleaned.replace(LONE_SURROGATE, '\uFFFD');
  if (cleaned !== value) counter.cleaned += 1;
  return cleaned;
}

export function cleanOptionalString(value: string | undefined, counter: CleanCounter): string | null {
  return value === undefined ? null : cleanString(value, counter);
}

/**
 * Postgres parses jsonb recursively, within its `max_stack_depth` (default 2MB: about 13,000
 * levels of nesting; its smallest setting, 100kB, about 600). Deeper containers are replaced by
 * null rather than failing the whole batch: the rest of the record is still kept.
 */
export const MAX_JSON_DEPTH = 10_000;

type Frame =
  | {
      kind: 'array';
      source: object;
      items: readonly unknown[];
      next: number;
      target: unknown[];
      depth: number;
    }
  | {
      kind: 'object';
      source: object;
      entries: Array<[string, unknown]>;
      next: number;
      target: Record<string, unknown>;
      depth: number;
    };

/**
 * A deep copy of a JSON-like value with every string and key cleaned, and every container nested
 * deeper than `maxDepth` (the top level is 1) replaced by null, counted in `counter.cut`. The walk
 * keeps its own stack: a record nested thousands of levels deep must not overflow the call stack.
 */
export function cleanJson(value: unknown, counter: CleanCounter, maxDepth = MAX_JSON_DEPTH): unknown {
  const stack: Frame[] = [];
  // The containers being copied: one met again below itself is a cycle, which JSON cannot carry.
  const open = new Set<object>();

  const copy = (item: unknown, depth: number): unknown => {
    if (typeof item === 'string') return cleanString(item, counter);
    if (item === null || typeof item !== 'object') return item;
    if (depth > maxDepth) {
      counter.cut = (counter.cut ?? 0) + 1;
      return null;
    }
    if (open.has(item)) throw new TypeError('cleanJson: cyclic structure');
    open.add(item);
    if (Array.isArray(item)) {
      const target: unknown[] = [];
      stack.push({ kind: 'array', source: item, items: item, next: 0, target, depth });
      return target;
    }
    const target: Record<string, unknown> = {};
    stack.push({ kind: 'object', source: item, entries: Object.entries(item), next: 0, target, depth });
    return target;
  };

  const root = copy(value, 1);
  for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
    const length = frame.kind === 'array' ? frame.items.length : frame.entries.length;
    if (frame.next === length) {
      stack.pop();
      open.delete(frame.source);
      continue;
    }
    const index = frame.next++;
    switch (frame.kind) {
      case 'array':
        frame.target.push(copy(frame.items[index], frame.depth + 1));
        break;
      case 'object': {
        const [key, item] = frame.entries[index] as [string, unknown];
        setOwn(frame.target, cleanString(key, counter), copy(item, frame.depth + 1));
        break;
      }
      default: {
        const unknownFrame: never = frame;
        throw new Error(`cleanJson: unknown frame ${String(unknownFrame)}`);
      }
    }
  }
  return root;
}

/**
 * A plain assignment of `__proto__` would set the copy's prototype and lose the field; JSON.parse
 * makes it an ordinary field, and so must the copy.
 */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
