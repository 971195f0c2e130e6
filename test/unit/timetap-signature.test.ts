import { describe, expect, it } from 'vitest';
import { computeSignature } from '../../src/timetap/signature.js';

describe('computeSignature', () => {
  it('is the lowercase hex md5 of apiKey + privateKey', () => {
    expect(computeSignature('abc', 'def')).toBe('e80b5017098950fc58aad83c8c14978e');
  });

  it('depends on both keys and their order', () => {
    expect(computeSignature('def', 'abc')).not.toBe(computeSignature('abc', 'def'));
    expect(computeSignature('abc', 'deg')).not.toBe(computeSignature('abc', 'def'));
    expect(computeSignature('k', 'p')).toMatch(/^[0-9a-f]{32}$/);
  });
});
