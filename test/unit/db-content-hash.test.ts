import { describe, expect, it } from 'vitest';
import { cleanJson, cleanString } from '../../src/db/clean.js';
import { canonicalJson, contentHash } from '../../src/db/content-hash.js';

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
