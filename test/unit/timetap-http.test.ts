import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { MalformedResponseError, NetworkError } from '../../src/errors.js';
import { ExchangeError, exchange, extractSessionToken, parseJsonBody } from '../../src/timetap/http.js';

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

describe('exchange under garbage collection', () => {
  // Node's AbortSignal.any holds the signals it combines weakly, and a timeout signal's timer holds
  // its signal weakly too: a combined signal that only fetch held could be collected mid-request,
  // and then its timeout aborted nothing (nodejs/node#57736). The fault scenario of a hung answer
  // saw a worker with a small heap wait forever for one. The deadline must hold whatever the GC does.
  it('times out a hung answer and a stalled body with a shutdown signal given, under forced GC', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const sockets = new Set<Socket>();
    const server = createServer((request, response) => {
      if (request.url === '/stall') {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        response.write('[{"a":');
      }
      // '/hang': never answers
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const collector = setInterval(gc, 5);
    try {
      for (const path of ['/hang', '/stall', '/hang', '/stall']) {
        const started = Date.now();
        const error = await exchange({
          fetch,
          url: `http://127.0.0.1:${port}${path}`,
          path,
          headers: {},
          timeoutMs: 200,
          shutdown: new AbortController().signal,
        }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ExchangeError);
        expect((error as ExchangeError).label).toBe('timeout');
        expect(Date.now() - started).toBeLessThan(2_000);
      }
    } finally {
      clearInterval(collector);
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
