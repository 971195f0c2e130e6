/**
 * The JSON of a body read from its bytes (json-body.ts): always what JSON.parse makes of the text
 * that TextDecoder decodes, whichever way it took.
 */
import { describe, expect, it } from 'vitest';
import { MalformedResponseError } from '../../src/errors.js';
import { parseJsonBody } from '../../src/timetap/http.js';

const plain = (bytes: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(bytes).trim());
const utf8 = (text: string) => Buffer.from(text, 'utf8');

function expectSame(bytes: Uint8Array): void {
  let expected: unknown;
  try {
    expected = plain(bytes);
  } catch {
    expect(() => parseJsonBody(bytes, '/x')).toThrow(MalformedResponseError);
    return;
  }
  const parsed = parseJsonBody(bytes, '/x');
  expect(parsed).toStrictEqual(expected);
  // Key order too, and an own __proto__ stays a field.
  expect(JSON.stringify(parsed)).toBe(JSON.stringify(expected));
}

describe('a JSON body read from its bytes', () => {
  it('parses what TextDecoder and JSON.parse would, for every kind of text', () => {
    const bodies: Uint8Array[] = [
      utf8('[{"calendarId":1,"client":{"firstName":"Zoë","lastName":"Nguyễn"},"note":"😀 – ok"}]'),
      utf8('{"a":"caf\\u00e9","b":"Zürich"}'), // an escape past 0x7F beside raw UTF-8
      utf8('{"a":"\\ud83d\\ude00","b":"é"}'),
      utf8('{"a":"back\\\\u00e9slash","b":"ü"}'), // an escaped backslash, then "u00e9" as text
      utf8('{"ключ":"значение"}'), // a key of non-ASCII bytes
      utf8('{"__proto__":"Ä","x":{"__proto__":{"y":"ö"}}}'),
      utf8('\uFEFF{"bom":"ß"}'),
      utf8('\u00a0{"nbsp":"before"}'),
      utf8(`${'{"deep":'.repeat(3000)}"é"${'}'.repeat(3000)}`),
      utf8('[1,2,"plain ascii"]'),
      utf8('<html>é</html>'),
      utf8('{"cut":"é'),
      Buffer.from([
        0x5b, 0x22, 0xc3, 0x22, 0x2c, 0x22, 0xe2, 0x82, 0x22, 0x2c, 0x22, 0xff, 0xfe, 0x41, 0x22, 0x5d,
      ]), // invalid UTF-8
      Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xf0, 0x9f, 0x98, 0x22, 0x7d]), // a sequence cut short
      new Uint8Array(0),
    ];
    for (const body of bodies) expectSame(body);
  });

  it('agrees on random records of mixed text', () => {
    let seed = 5;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return Math.floor((seed / 2_147_483_648) * n);
    };
    const pieces = [
      'a',
      'Z',
      ' ',
      'é',
      'ß',
      'Ñ',
      '–',
      '😀',
      '"',
      '\\',
      '\n',
      '\u2028',
      'ễ',
      '\u00a0',
      '\u0000',
    ];
    const word = () => Array.from({ length: random(6) }, () => pieces[random(pieces.length)]).join('');
    const value = (depth: number): unknown => {
      const roll = random(10);
      if (depth > 3 || roll < 4) return [word(), random(1000), null, true][random(4)];
      if (roll < 6) return Array.from({ length: random(4) }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: random(4) }, (_, i) => [`k${i}${random(2) ? 'é' : ''}`, value(depth + 1)]),
      );
    };
    for (let i = 0; i < 2_000; i++) expectSame(utf8(JSON.stringify(value(0))));
  });
});
