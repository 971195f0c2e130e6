/**
 * A JSON body parsed from its UTF-8 bytes, as `JSON.parse(new TextDecoder().decode(bytes))` would,
 * at a fraction of the cost. Decoding UTF-8 into a JavaScript string costs about 8 ns a byte once
 * a body holds any non-ASCII character (a name with an accent on every page does), and a page of
 * a backfill is 70 KB: decoding was a tenth of the worker's CPU in bench 6, more than parsing.
 *
 * So the bytes are read as Latin-1 (a byte per character, 40 times faster), parsed, and then only
 * the strings that hold a byte of 0x80 or more are decoded as UTF-8, in place. That is exact
 * because JSON's structure is ASCII: a multi-byte UTF-8 sequence can only sit inside a string,
 * and a decoder never takes an ASCII byte into an invalid sequence, so the strings' bounds are
 * the same either way and each string decodes alone as it would within the whole text. Two
 * things would make it wrong, and send the body to the plain way instead: a `\u` escape of a
 * character past 0x7F (JSON.parse's result would then mix decoded characters with raw bytes), and
 * a key holding such bytes (keys are not rewritten). Neither occurs in TimeTap's bodies, whose
 * keys are ASCII and whose text is sent unescaped; a body with either costs a second parse.
 */

const BYTE_ORDER_MARK = [0xef, 0xbb, 0xbf] as const;
/** On a Latin-1 reading: a character that stands for a byte of a multi-byte UTF-8 sequence. */
const HIGH_BYTE = /[\u0080-\u00ff]/;
/** A `\u` escape of a character past 0x7F (over-matching costs only the plain way). */
const WIDE_ESCAPE = /\\u(?:00[89a-f]|0[1-9a-f]|[1-9a-f])/i;

/** The body as text, as `response.text()` decodes it: UTF-8, a byte order mark dropped. */
export function decodeBody(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/**
 * The body as Latin-1 text, a byte order mark dropped, and whether it needs the UTF-8 repair:
 * the text `parseJsonText` takes.
 */
export function latin1Body(bytes: Uint8Array): { text: string; highBytes: boolean } {
  const start = BYTE_ORDER_MARK.every((byte, i) => bytes[i] === byte) ? 3 : 0;
  const body = Buffer.from(bytes.buffer, bytes.byteOffset + start, bytes.byteLength - start);
  const text = body.toString('latin1');
  return { text, highBytes: HIGH_BYTE.test(text) };
}

/**
 * Parses the Latin-1 reading of a body (`latin1Body`); `bytes` is the body itself, for the plain
 * way. Throws what JSON.parse throws.
 */
export function parseJsonText(body: { text: string; highBytes: boolean }, bytes: Uint8Array): unknown {
  const value: unknown = JSON.parse(body.text);
  if (!body.highBytes) return value;
  if (WIDE_ESCAPE.test(body.text)) return JSON.parse(decodeBody(bytes));
  if (typeof value === 'string') return utf8Of(value);
  return repairStrings(value) ? value : JSON.parse(decodeBody(bytes));
}

/**
 * Decodes, in place, every string value that holds high bytes; false (leaving the value half
 * repaired, to be parsed again) when a key holds any. Iterative: a body may nest deeply.
 */
function repairStrings(root: unknown): boolean {
  const stack: unknown[] = [root];
  for (let container = stack.pop(); container !== undefined; container = stack.pop()) {
    if (typeof container !== 'object' || container === null) continue;
    if (Array.isArray(container)) {
      for (let i = 0; i < container.length; i += 1) {
        const item: unknown = container[i];
        if (typeof item === 'string') {
          if (HIGH_BYTE.test(item)) container[i] = utf8Of(item);
        } else if (typeof item === 'object' && item !== null) stack.push(item);
      }
      continue;
    }
    const record = container as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (HIGH_BYTE.test(key)) return false;
      const item = record[key];
      if (typeof item === 'string') {
        if (!HIGH_BYTE.test(item)) continue;
        // An own `__proto__` key (JSON.parse makes one) must stay a plain field, not a prototype.
        if (key === '__proto__') Object.defineProperty(record, key, { value: utf8Of(item) });
        else record[key] = utf8Of(item);
      } else if (typeof item === 'object' && item !== null) stack.push(item);
    }
  }
  return true;
}

function utf8Of(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('utf8');
}
