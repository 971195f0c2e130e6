import { describe, expect, it } from 'vitest';
import { parseResyncBody } from '../../src/http/resync-route.js';

describe('parseResyncBody', () => {
  it.each([
    ['', {}],
    ['  \n', {}],
    ['{}', {}],
    ['{"locationId": 7}', { locationId: 7 }],
    ['{"locationId": 9007199254740991}', { locationId: Number.MAX_SAFE_INTEGER }],
  ])('accepts %j', (text, request) => {
    expect(parseResyncBody(text)).toEqual({ ok: true, request });
  });

  it.each([
    '{',
    'null',
    '[]',
    '"7"',
    '7',
    'true',
    '{"locationId": null}',
    '{"locationId": "7"}',
    '{"locationId": 7.5}',
    '{"locationId": -1}',
    '{"locationId": 0}',
    '{"locationId": 1e300}',
    '{"locationId": 7, "x": 1}',
    '{"location": 7}',
  ])('refuses %j with a message', (text) => {
    const result = parseResyncBody(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message.length).toBeGreaterThan(10);
  });
});
