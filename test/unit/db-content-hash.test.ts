import { describe, expect, it } from 'vitest';
import { cleanJson, cleanString, jsonTextNeedsCleaning, MAX_JSON_DEPTH } from '../../src/db/clean.js';
import { canonicalJson, contentHash, hashCanonicalJson, type JsonDepth } from '../../src/db/content-hash.js';

describe('canonicalJson / contentHash', () => {
  it('ignores key order at every depth but not array order', () => {
    const a = { b: 1, a: { y: [1, 2], x: 'z' } };
    const b = { a: { x: 'z', y: [1, 2] }, b: 1 };
    expect(canonicalJson(a)).toBe('{"a":{"x":"z","y":[1,2]},"b":1}');
    expect(contentHash(a)).toBe(contentHash(b));
    expect(contentHash({ a: [1, 2] })).not.toBe(contentHash({ a: [2, 1] }));
  });

  it('treats values as JSON does', () => {
    expect(canonicalJson({ a: undefined, b: null, c: Number.NaN })).toBe('{"b":null,"c":null}');
    expect(canonicalJson([undefined])).toBe('[null]');
  });

  it('is a sha256 hex digest that changes with any value', () => {
    expect(contentHash({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
    expect(contentHash({ a: 1 })).not.toBe(contentHash({ a: '1' }));
  });
});

describe('clean', () => {
  it('removes NUL characters from values and keys and counts them', () => {
    const counter = { cleaned: 0 };
    const out = cleanJson({ 'k\u0000ey': ['a\u0000b', { c: '\u0000' }], ok: 'fine 😀' }, counter);
    expect(out).toEqual({ key: ['ab', { c: '' }], ok: 'fine 😀' });
    expect(counter.cleaned).toBe(3);
  });

  it('replaces lone surrogates, which jsonb rejects, and keeps emoji', () => {
    const counter = { cleaned: 0 };
    expect(cleanString('a\uD800b', counter)).toBe('a\uFFFDb');
    expect(cleanString('😀', counter)).toBe('😀');
    expect(counter.cleaned).toBe(1);
  });
});

/** `depth` objects nested in one another around `leaf`: { a: { a: ... leaf } }. */
function nested(depth: number, leaf: unknown = 'bottom'): Record<string, unknown> {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = { a: value, n: i };
  return value as Record<string, unknown>;
}

function depthOf(value: unknown): number {
  let depth = 0;
  for (let v = value; v !== null && typeof v === 'object'; v = (v as { a: unknown }).a) depth += 1;
  return depth;
}

describe('content hashes of rows already in the mirror do not change', () => {
  // Computed with the recursive implementation before it was made iterative: a different value
  // here would rewrite every unchanged row on the next sync.
  const pinned: Array<[string, unknown, string, string]> = [
    [
      'location',
      {
        locationId: 5,
        businessId: 9,
        locationName: 'Main',
        locationType: 'PHYSICAL',
        active: true,
        address: { city: 'Zürich', zip: '8000', lat: 47.37, lng: 8.54 },
        tags: [],
        notes: null,
      },
      '{"active":true,"address":{"city":"Zürich","lat":47.37,"lng":8.54,"zip":"8000"},"businessId":9,"locationId":5,"locationName":"Main","locationType":"PHYSICAL","notes":null,"tags":[]}',
      '33fd9d7624f80d4b3eee684b92e32801f582e7e8d22d08d3b28c7df549fd39c7',
    ],
    [
      'staff',
      {
        professionalId: 1,
        businessId: 77,
        firstName: 'Ada',
        lastName: 'Lovelace 1',
        email: 'u1@example.com',
        timeZone: 'Europe/London',
        locationIds: [3, 1, 2],
        meta: { z: { b: 2, a: 1 }, a: [{ y: 'é 😀', x: -0.5e-7 }] },
      },
      '{"businessId":77,"email":"u1@example.com","firstName":"Ada","lastName":"Lovelace 1","locationIds":[3,1,2],"meta":{"a":[{"x":-5e-8,"y":"é 😀"}],"z":{"a":1,"b":2}},"professionalId":1,"timeZone":"Europe/London"}',
      '7afb1718de34d2e759fb6f3f0b7c4ac936c31444c4d46d063b1a0e242d55454f',
    ],
    [
      'service',
      {
        reasonId: 8,
        reasonDesc: 'Cut "quoted" \\ back\nslash',
        visitMinutes: 3000000000,
        price: 12.5,
        big: 1e21,
        tiny: 5e-324,
        neg: -0,
        unicodeKey: { ключ: 'значение', '\u2028': '\u2029' },
      },
      '{"big":1e+21,"neg":0,"price":12.5,"reasonDesc":"Cut \\"quoted\\" \\\\ back\\nslash","reasonId":8,"tiny":5e-324,"unicodeKey":{"ключ":"значение","\u2028":"\u2029"},"visitMinutes":3000000000}',
      'de07610a7908fc22dc3c990f8cf6c74154f23e303c4af0c0c4abb494807f0d56',
    ],
    [
      'edge',
      {
        a: undefined,
        b: null,
        c: Number.NaN,
        d: Number.POSITIVE_INFINITY,
        e: [undefined, null, 1, [], {}, [[{}]]],
        f: '',
        '': 'empty key',
        nested: { deeper: { deepest: [true, false, 0] } },
      },
      '{"":"empty key","b":null,"c":null,"d":null,"e":[null,null,1,[],{},[[{}]]],"f":"","nested":{"deeper":{"deepest":[true,false,0]}}}',
      '2d665deb1f6e2ffb36abb9faaaf634c7b629941e81b5a37c4a79337ba60cb411',
    ],
    [
      'a string',
      'just a string',
      '"just a string"',
      '3fe01def54b1c6cd795b2ebfcbab64150f6a507bce043040c662c682eebfed1e',
    ],
    ['a number', 42, '42', '73475cb40a568e8da8a045ced110137e159f890ac4da883b6b17dc651b3a8049'],
    [
      'an array',
      [3, 'two', { one: 1 }],
      '[3,"two",{"one":1}]',
      '123f1beea34712b07913ca2f7cc6c060159a91af1e0743ffb55f36002d1dc0af',
    ],
  ];

  it.each(pinned)('%s', (_, raw, canonical, hash) => {
    const cleaned = cleanJson(raw, { cleaned: 0 });
    expect(canonicalJson(cleaned)).toBe(canonical);
    expect(contentHash(cleaned)).toBe(hash);
    expect(hashCanonicalJson(canonical)).toBe(hash);
  });

  it('matches the recursive implementation on thousands of random JSON values', () => {
    // The former implementation, kept here as the reference.
    const reference = (value: unknown): string => {
      if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
      if (Array.isArray(value)) {
        return `[${value.map((item) => (item === undefined || typeof item === 'function' ? 'null' : reference(item))).join(',')}]`;
      }
      const record = value as Record<string, unknown>;
      const parts: string[] = [];
      for (const key of Object.keys(record).sort()) {
        const item = record[key];
        if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
        parts.push(`${JSON.stringify(key)}:${reference(item)}`);
      }
      return `{${parts.join(',')}}`;
    };
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const words = ['', 'a', 'B', 'é', '😀', '10', '2', '"', '\n', 'key'];
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const generate = (depth: number): unknown => {
      const roll = random();
      if (depth > 5 || roll < 0.4)
        return pick([null, true, false, 0, -0, 1.5e-9, 123456789, 'text', undefined, pick(words)]);
      if (roll < 0.7) return Array.from({ length: Math.floor(random() * 4) }, () => generate(depth + 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(random() * 5) }, (_, i) => [
          `${pick(words)}${i}`,
          generate(depth + 1),
        ]),
      );
    };
    for (let i = 0; i < 3_000; i++) {
      const value = generate(0);
      expect(canonicalJson(value)).toBe(reference(value));
    }
  });

  it('writes what JSON.stringify would order or write otherwise as the walk does', () => {
    // The sorted copy gives way to the walk for these; each must still come out sorted.
    const deep = (levels: number): unknown => (levels === 0 ? { b: 1, a: 2 } : { z: deep(levels - 1), y: 0 });
    const cases: Array<[unknown, string]> = [
      [{ b: 1, 10: 'x', 9: 'y', a: 2 }, '{"10":"x","9":"y","a":2,"b":1}'],
      [JSON.parse('{"z": 1, "__proto__": {"b": 2, "a": 1}}'), '{"__proto__":{"a":1,"b":2},"z":1}'],
      [Object.assign(Object.create(null), { b: 1, a: 2 }), '{"a":2,"b":1}'],
      [{ b: new Date(0), a: new Map([[1, 2]]) }, '{"a":{},"b":{}}'],
      [{ b: 1, toJSON: () => 'replaced', a: 2 }, '{"a":2,"b":1}'],
      [{ b: [undefined, () => 1, Number.NaN, -0], a: '\ud800' }, '{"a":"\\ud800","b":[null,null,null,0]}'],
    ];
    for (const [value, text] of cases) expect(canonicalJson(value)).toBe(text);
    const nested = deep(40);
    const depth: JsonDepth = { deepest: 0 };
    expect(canonicalJson(nested, depth)).toBe(canonicalJson(JSON.parse(JSON.stringify(nested))));
    expect(canonicalJson(nested).startsWith('{"y":0,"z":{"y":0,')).toBe(true);
    expect(depth.deepest).toBe(41);
  });

  it('stores the same jsonb as JSON.stringify would: the canonical text differs only in key order', () => {
    const raw = { z: 1, a: [{ y: 2, x: '😀' }], m: null };
    expect(JSON.parse(canonicalJson(raw))).toEqual(JSON.parse(JSON.stringify(raw)));
  });
});

describe('the write path skips cleaning a record that holds nothing to clean', () => {
  // bulk-upsert.ts trusts these two answers to store a record's canonical text without cleaning it.
  it('finds every NUL and lone surrogate in the canonical text, in values and keys', () => {
    for (const dirty of ['a\u0000b', 'x\ud800', '\udc00y', '\udbff\udbff']) {
      expect(jsonTextNeedsCleaning(canonicalJson({ key: dirty }))).toBe(true);
      expect(jsonTextNeedsCleaning(canonicalJson({ [dirty]: 1 }))).toBe(true);
      expect(jsonTextNeedsCleaning(canonicalJson([[dirty]]))).toBe(true);
    }
    for (const clean of ['plain', '😀', 'é\n"', '\\u00', 'u0000']) {
      expect(jsonTextNeedsCleaning(canonicalJson({ [clean]: clean }))).toBe(false);
    }
  });

  it('agrees with cleaning on random records: clean ones come out of it unchanged', () => {
    let seed = 11;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const words = ['', 'a', '😀', '\u0000', 'n\u0000ul', '\ud83d', '\ude00', '\\u0000', 'key'];
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const generate = (depth: number): unknown => {
      const roll = random();
      if (depth > 4 || roll < 0.4) return pick([null, 1, 'text', undefined, pick(words)]);
      if (roll < 0.7) return Array.from({ length: Math.floor(random() * 4) }, () => generate(depth + 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(random() * 4) }, (_, i) => [
          `${pick(words)}${i}`,
          generate(depth + 1),
        ]),
      );
    };
    let skipped = 0;
    for (let i = 0; i < 3_000; i++) {
      const value = generate(0);
      const counter = { cleaned: 0 };
      const cleaned = canonicalJson(cleanJson(value, counter));
      const direct = canonicalJson(value);
      if (!jsonTextNeedsCleaning(direct)) {
        skipped += 1;
        // (The counter may still count a key whose value JSON leaves out: nothing of it is stored.)
        expect(direct).toBe(cleaned);
      } else if (!direct.includes('\\\\u0000')) {
        expect(counter.cleaned).toBeGreaterThan(0);
      }
    }
    // Both kinds were drawn.
    expect(skipped).toBeGreaterThan(300);
    expect(skipped).toBeLessThan(2_700);
  });

  it('measures how deep a record nests, as cleaning counts depth (the top level is 1)', () => {
    const depthOfText = (value: unknown) => {
      const depth: JsonDepth = { deepest: 0 };
      canonicalJson(value, depth);
      return depth.deepest;
    };
    expect(depthOfText('scalar')).toBe(0);
    expect(depthOfText({})).toBe(1);
    expect(depthOfText({ a: { b: [1, [2]] }, c: [] })).toBe(4);
    expect(depthOfText(nested(MAX_JSON_DEPTH + 50))).toBe(depthOf(nested(MAX_JSON_DEPTH + 50)));
    // Around the depth where the walk stops recursing (content-hash.ts), text and depth agree.
    for (let levels = 150; levels <= 260; levels += 1) {
      const value = { list: [nested(levels)] };
      expect(depthOfText(value)).toBe(levels + 2);
      expect(canonicalJson(value)).toBe(JSON.stringify(value));
    }
    const counter = { cleaned: 0, cut: 0 };
    cleanJson({ list: [[[1]]] }, counter, depthOfText({ list: [[[1]]] }));
    expect(counter.cut).toBe(0);
    cleanJson({ list: [[[1]]] }, counter, depthOfText({ list: [[[1]]] }) - 1);
    expect(counter.cut).toBe(1);
  });
});

describe('records nested thousands of levels deep', () => {
  it.each([3_000, 10_000])('cleans and hashes %i levels without overflowing the stack', (depth) => {
    const counter = { cleaned: 0 };
    const raw = nested(depth, 'NUL\u0000here');
    const cleaned = cleanJson(raw, counter);
    expect(depthOf(cleaned)).toBe(depth);
    expect(counter).toEqual({ cleaned: 1 });
    const canonical = canonicalJson(cleaned);
    expect(canonical.startsWith('{"a":{"a":')).toBe(true);
    expect(canonical.includes('{"a":"NULhere","n":0},"n":1}')).toBe(true);
    expect(canonical.endsWith(`,"n":${depth - 1}}`)).toBe(true);
    expect(contentHash(cleaned)).toMatch(/^[0-9a-f]{64}$/);
    expect(contentHash(cleanJson(nested(depth, 'other'), { cleaned: 0 }))).not.toBe(contentHash(cleaned));
  });

  it('cuts what lies deeper than Postgres can parse, and counts it', () => {
    const counter = { cleaned: 0, cut: 0 };
    const cleaned = cleanJson(nested(MAX_JSON_DEPTH + 50), counter);
    expect(depthOf(cleaned)).toBe(MAX_JSON_DEPTH);
    expect(counter.cut).toBe(1);
    const shallow = cleanJson({ keep: 1, deep: nested(10), list: [[[1]]] }, counter, 3);
    expect(shallow).toEqual({ keep: 1, deep: { a: { a: null, n: 8 }, n: 9 }, list: [[null]] });
    expect(counter.cut).toBe(3);
  });

  it('refuses a cycle instead of looping forever, and keeps a shared (acyclic) object', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => cleanJson(cyclic, { cleaned: 0 })).toThrow(TypeError);
    expect(() => canonicalJson(cyclic)).toThrow(TypeError);
    const deepCycle = nested(300);
    let bottom = deepCycle;
    while (typeof bottom.a === 'object') bottom = bottom.a as Record<string, unknown>;
    bottom.a = deepCycle;
    expect(() => canonicalJson(deepCycle)).toThrow(TypeError);
    const shared = { x: 1 };
    const dag = { a: shared, b: [shared, shared] };
    expect(canonicalJson(cleanJson(dag, { cleaned: 0 }))).toBe('{"a":{"x":1},"b":[{"x":1},{"x":1}]}');
  });

  it('keeps a "__proto__" field as a field, as JSON.parse does', () => {
    const raw = JSON.parse('{"__proto__":{"polluted":true},"ok":1}') as Record<string, unknown>;
    const cleaned = cleanJson(raw, { cleaned: 0 }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(cleaned)).toBe(Object.prototype);
    expect(Object.keys(cleaned)).toEqual(['__proto__', 'ok']);
    expect(canonicalJson(cleaned)).toBe('{"__proto__":{"polluted":true},"ok":1}');
  });
});
