import { describe, expect, it } from 'vitest';
import { createTokenCodec } from '../../src/redis/token-codec.js';

const TOKEN = 'st:api:user:0123456789abcdef0123456789';

describe('createTokenCodec', () => {
  it('encrypts with a secret: round-trips, never shows the token, differs on every write', () => {
    const codec = createTokenCodec({ secret: 'private-key', context: 'p:timetap:session' });
    const one = codec.encode(TOKEN);
    const two = codec.encode(TOKEN);
    expect(one).not.toContain(TOKEN);
    expect(one).not.toContain('0123456789abcdef');
    expect(one).not.toBe(two);
    expect(codec.decode(one)).toBe(TOKEN);
    expect(one.startsWith(codec.prefix(TOKEN))).toBe(true);
    expect(two.startsWith(codec.prefix(TOKEN))).toBe(true);
    expect(codec.prefix('another token')).not.toBe(codec.prefix(TOKEN));
  });

  it('reads nothing written with another secret, under another key, or tampered with', () => {
    const codec = createTokenCodec({ secret: 'private-key', context: 'p:timetap:session' });
    const stored = codec.encode(TOKEN);
    expect(
      createTokenCodec({ secret: 'other-key', context: 'p:timetap:session' }).decode(stored),
    ).toBeUndefined();
    expect(
      createTokenCodec({ secret: 'private-key', context: 'q:timetap:session' }).decode(stored),
    ).toBeUndefined();
    expect(createTokenCodec({ context: 'p:timetap:session' }).decode(stored)).toBeUndefined();
    const tampered = `${stored.slice(0, -2)}${stored.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(codec.decode(tampered)).toBeUndefined();
    expect(codec.decode('garbage')).toBeUndefined();
  });

  it('without a secret, stores the token as is behind its fingerprint', () => {
    const codec = createTokenCodec({ context: 'k' });
    const stored = codec.encode(TOKEN);
    expect(stored).toBe(`${codec.prefix(TOKEN)}${TOKEN}`);
    expect(codec.decode(stored)).toBe(TOKEN);
    expect(codec.decode(`${codec.prefix('x')}${TOKEN}`)).toBeUndefined();
  });
});
