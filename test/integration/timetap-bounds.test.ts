/**
 * What TimeTap (or whatever answers in its name) can make the client do, bounded: no redirect is
 * followed (the login's query carries the key and a signature that never changes), and a body is
 * read as it arrives and given up past TIMETAP_MAX_BODY_BYTES. Plain HTTP servers of the test's
 * own play the misbehaving TimeTap and the host a redirect points at.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { TimeTapConfig } from '../../src/config.js';
import { MalformedResponseError, NetworkError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { createRedactor } from '../../src/redact.js';
import { createTimeTapApi } from '../../src/timetap/index.js';

const API_KEY = 'bounds-api-key-123';
const PRIVATE_KEY = 'bounds-private-key-456';

interface Host {
  url: string;
  requests: Array<{ path: string; query: string }>;
  close(): Promise<void>;
}

const hosts: Host[] = [];
afterEach(async () => {
  for (const host of hosts.splice(0)) await host.close();
});

async function startHost(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<Host> {
  const requests: Host['requests'] = [];
  const server: Server = createServer((req, res) => {
    const [path = '', query = ''] = (req.url ?? '').split('?');
    requests.push({ path, query });
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const host: Host = {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  hosts.push(host);
  return host;
}

/** Answers the login; `data` answers everything else. */
function timetap(data: (req: IncomingMessage, res: ServerResponse) => void) {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/sessionToken')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ sessionToken: 'st:api:api:0123456789abcdef0123456789abcdef' }));
      return;
    }
    data(req, res);
  };
}

function clientOf(baseUrl: string, overrides: Partial<TimeTapConfig> = {}) {
  const redactor = createRedactor();
  return createTimeTapApi({
    config: {
      apiKey: API_KEY,
      privateKey: PRIVATE_KEY,
      baseUrl,
      maxRps: 1000,
      maxConcurrency: 4,
      timeoutMs: 10_000,
      retries: 3,
      retryBaseMs: 10,
      retryMaxTimeMs: 10_000,
      retryAfterCapMs: 1000,
      sessionIdleMs: 60_000,
      pageSize: 25,
      ...overrides,
    },
    logger: createLogger({ level: 'silent', redactor }),
    redactor,
    backoff: { minTimeoutMs: 10, maxTimeoutMs: 20 },
  });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

describe('redirects', () => {
  it('a 302 from /sessionToken is not followed: the other host never sees the key or the signature, and it is not retried', async () => {
    const elsewhere = await startHost((_req, res) => res.writeHead(200).end('{"sessionToken":"x"}'));
    const redirecting = await startHost((req, res) => {
      res.writeHead(302, { location: `${elsewhere.url}${req.url}` }).end();
    });
    const error = await failure(clientOf(redirecting.url).login());
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).retryable).toBe(false);
    expect(error.message).toBe(
      'Request to TimeTap /sessionToken failed: answered with a redirect, which is never followed ' +
        '(it would carry the key or the session elsewhere): point TIMETAP_BASE_URL at where TimeTap really answers',
    );
    expect(elsewhere.requests).toEqual([]);
    expect(redirecting.requests.map((r) => r.path)).toEqual(['/sessionToken']);
  });

  it('a redirect on a data call is not followed either: the session token stays where it was sent', async () => {
    const elsewhere = await startHost((_req, res) => res.writeHead(200).end('[]'));
    const host = await startHost(
      timetap((req, res) => res.writeHead(307, { location: `${elsewhere.url}${req.url}` }).end()),
    );
    const error = await failure(clientOf(host.url).listLocations());
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toContain('/locations?pageNumber=1&pageSize=25 failed: answered with a redirect');
    expect(elsewhere.requests).toEqual([]);
  });
});

describe('TIMETAP_MAX_BODY_BYTES', () => {
  const LIMIT = 1024 * 1024;
  /** A body of `total` bytes written 64 KiB at a time without Content-Length; counts what got out. */
  function endless(total: number, sent: { bytes: number; finished: boolean }) {
    return timetap((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.from(`[${'"x",'.repeat(16 * 1024 - 1)}"x"`.padEnd(64 * 1024, ' '));
      const write = () => {
        while (sent.bytes < total) {
          sent.bytes += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', write);
            return;
          }
        }
        sent.finished = true;
        res.end();
      };
      res.on('close', () => res.off('drain', write));
      write();
    });
  }

  it('reads a body as it arrives and gives it up past the limit: "body too large", not retried, the rest never sent', async () => {
    const sent = { bytes: 0, finished: false };
    const total = 400 * 1024 * 1024;
    const host = await startHost(endless(total, sent));
    const api = clientOf(host.url, { maxBodyBytes: LIMIT });
    const error = await failure(api.listLocations());
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect(error.message).toBe(
      'TimeTap sent a malformed body for /locations?pageNumber=1&pageSize=25: body too large ' +
        `(more than ${LIMIT} bytes, TIMETAP_MAX_BODY_BYTES)`,
    );
    expect(error.message).not.toContain('cut short');
    expect((error as MalformedResponseError).retryable).toBe(false);
    expect(host.requests.filter((r) => r.path === '/locations')).toHaveLength(1);
    expect(api.stats().calls['GET /locations']).toEqual({ 'too-large': 1 });
    // What the socket buffers held when the client hung up, not the 400 MB.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sent.finished).toBe(false);
    expect(sent.bytes).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses a Content-Length past the limit before reading, and reads a body within it', async () => {
    const big = JSON.stringify(Array.from({ length: 100_000 }, (_, i) => ({ locationId: i + 1 })));
    const host = await startHost(
      timetap((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(big) });
        res.end(big);
      }),
    );
    expect(Buffer.byteLength(big)).toBeGreaterThan(LIMIT);
    const error = await failure(clientOf(host.url, { maxBodyBytes: LIMIT }).listLocations());
    expect(error.message).toContain('body too large');
    const read = await clientOf(host.url, { maxBodyBytes: 4 * LIMIT, pageSize: 1000 }).listLocations();
    expect(read.items).toHaveLength(100_000);
  });
});
