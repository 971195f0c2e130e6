/**
 * What Postgres cannot store is taken out before a write: text and jsonb reject the NUL character
 * (U+0000), and jsonb rejects a lone UTF-16 surrogate (JSON.stringify escapes it as `\udXXX`,
 * which jsonb refuses; in text it would silently become U+FFFD). NULs are removed, lone
 * surrogates replaced by U+FFFD, in values and object keys alike. Everything else, including
 * emoji and very long strings, is kept as sent.
 */

const NUL = '\u0000';
const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Counts the strings (values or keys) that had to change. */
export interface CleanCounter {
  cleaned: number;
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

/** A deep copy of a JSON-like value with every string and key cleaned. */
export function cleanJson(value: unknown, counter: CleanCounter): unknown {
  if (typeof value === 'string') return cleanString(value, counter);
  if (Array.isArray(value)) return value.map((item) => cleanJson(item, counter));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[cleanString(key, counter)] = cleanJson(item, counter);
    }
    return out;
  }
  return value;
}
