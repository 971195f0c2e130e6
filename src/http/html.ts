/**
 * HTML written on the server, safe by construction: `html` is a tagged template whose
 * interpolated values are escaped unless they are themselves `html` (or `raw`), so that a name or
 * a reason from TimeTap or the database can never become markup. Characters that HTML cannot hold
 * (NUL, the other C0 controls but tab and newlines, lone surrogates) become U+FFFD.
 */

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** A value an `html` template takes: text (escaped), numbers, markup, nothing, or a list of them. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES = new Map([
  ['&', '&amp;'],
  ['<', '&lt;'],
  ['>', '&gt;'],
  ['"', '&quot;'],
  ["'", '&#39;'],
]);

/** Text as it is safe in an element's content and in a quoted attribute. */
export function escapeHtml(text: string): string {
  let out = '';
  // By code point: a lone surrogate comes alone, a pair as one character.
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const control = (code < 0x20 && char !== '\t' && char !== '\n' && char !== '\r') || code === 0x7f;
    const loneSurrogate = code >= 0xd800 && code <= 0xdfff;
    out += control || loneSurrogate ? '\ufffd' : (ESCAPES.get(char) ?? char);
  }
  return out;
}

/** Markup the program wrote itself; never pass it anything that came from outside. */
export function raw(markup: string): Html {
  return new Html(markup);
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.text;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}
