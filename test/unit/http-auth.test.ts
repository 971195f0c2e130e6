import { describe, expect, it } from 'vitest';
import { createTokenCheck, parseCredentials } from '../../src/http/auth.js';

const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;

describe('parseCredentials', () => {
  it('reads a bearer token, whatever the scheme case', () => {
    expect(parseCredentials('Bearer abc.def')).toBe('abc.def');
    expect(parseCredentials('bearer abc')).toBe('abc');
  });

  it('reads the password of basic auth, splitting at the first colon', () => {
    expect(parseCredentials(basic('ops:s3cret'))).toBe('s3cret');
    expect(parseCredentials(basic(':s3cret'))).toBe('s3cret');
    expect(parseCredentials(basic('ops:with:colons'))).toBe('with:colons');
  });

  it('refuses missing or malformed headers', () => {
    expect(parseCredentials(undefined)).toBeUndefined();
    expect(parseCredentials('')).toBeUndefined();
    expect(parseCredentials('s3cret')).toBeUndefined();
    expect(parseCredentials('Bearer')).toBeUndefined();
    expect(parseCredentials('Bearer a b')).toBeUndefined();
    expect(parseCredentials('Digest abc')).toBeUndefined();
    expect(parseCredentials(basic('no-colon'))).toBeUndefined();
  });
});

describe('createTokenCheck', () => {
  const check = createTokenCheck('correct-horse');

  it('accepts only the exact token', () => {
    expect(check.matches('correct-horse')).toBe(true);
    expect(check.matches('correct-hors')).toBe(false);
    expect(check.matches('correct-horsf')).toBe(false);
    expect(check.matches('correct-horse ')).toBe(false);
    expect(check.matches('')).toBe(false);
    expect(check.matches(undefined)).toBe(false);
  });

  it('refuses an empty configured token', () => {
    expect(() => createTokenCheck('')).toThrow();
  });
});
