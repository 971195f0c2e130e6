import { describe, expect, it } from 'vitest';
import { MalformedResponseError, NetworkError } from '../../src/errors.js';
import { exchange, extractSessionToken, parseJsonBody } from '../../src/timetap/http.js';

const TOKEN = 'st:api:api:0123456789abcdef0123456789abcdef';

describe('extractSessionToken', () => {
  it('accepts the documented object, a JSON string and plain text', () => {
    expect(extractSessionToken(JSON.stringify({ sessionToken: TOKEN }), '/sessionToken')).toBe(TOKEN);
    expect(extractSessionToken(JSON.stringify(TOKEN), '/sessionToken')).toBe(TOKEN);
    expect(extractSessionToken(`${TOKEN}\n`, '/sessionToken')).toBe(TOKEN);
  });

  it('refuses an answer without a token, and never quotes the body', () => {
    for (const body of [
      '',
      '{}',
      '{"sessionToken": 5}',
      '<html>oops</html>',
      '{"sessionToken": "st:',
      'two words',
    ]) {
      const error = (() => {
        try {
          extractSessionToken(body, '/sessionToken');
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(MalformedResponseError);
      expect((error as Error).message).not.toContain('st:');
    }
  });
});

describe('parseJsonBody', () => {
  it('parses JSON and flags HTML or truncated bodies as retryable malformed answers', () => {
    expect(parseJsonBody('[1,2]', '/locations')).toEqual([1, 2]);
    for (const body of ['<!doctype html><p>hi</p>', '[{"locationId": 1', '']) {
      try {
        parseJsonBody(body, '/locations');
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(MalformedResponseError);
        expect((error as MalformedResponseError).retryable).toBe(true);
      }
    }
  });
});

describe('exchange', () => {
  it('never quotes the URL of a failed request (the login URL carries the key and the signature)', async () => {
    const url = 'http://user:pw@127.0.0.1:1/sessionToken?apiKey=the-key&timestamp=1&signature=abc123';
    const failing: typeof fetch = async () => {
      throw new TypeError(`Request cannot be constructed from a URL that includes credentials: ${url}`);
    };
    const error = await exchange({
      fetch: failing,
      url,
      path: '/sessionToken',
      headers: {},
      timeoutMs: 1000,
      shutdown: undefined,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toBe(
      'Request to TimeTap /sessionToken failed: network error (TypeError: Request cannot be constructed ' +
        'from a URL that includes credentials: <url>) before the answer',
    );
  });
});
