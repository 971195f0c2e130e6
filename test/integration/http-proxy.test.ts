/**
 * The worker behind a proxy, as the README recommends it (an HTTPS reverse proxy in front): every
 * caller then reaches the worker from the proxy's address. A guesser must not lock the right
 * callers out (TimeTap's webhook calls, which it does not retry; the admin's resyncs), and with
 * TRUST_PROXY the limiters tell callers apart by X-Forwarded-For. The queue is injected: these
 * are the HTTP server's decisions.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpServer, type HttpServerDeps } from '../../src/http/server.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { createRedactor } from '../../src/redact.js';

const TOKEN = `admin-${randomBytes(12).toString('hex')}`;
const SECRET = randomBytes(16).toString('hex');
const MID_MINUTE = Date.UTC(2026, 0, 1, 12, 0, 30);
const logger = createLogger({ level: 'silent', redactor: createRedactor() });

interface Started {
  url: string;
  events: number[];
  resyncs: number;
  close(): Promise<void>;
}
const servers: Started[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function start(overrides: Partial<HttpServerDeps> & { perSourcePerMinute?: number } = {}) {
  const { perSourcePerMinute = 600, ...rest } = overrides;
  const events: number[] = [];
  const started: Started = { url: '', events, resyncs: 0, close: async () => undefined };
  const server = createHttpServer({
    host: '127.0.0.1',
    port: 0,
    adminToken: TOKEN,
    // Mid-minute, and still: the guesses' counts are never reset by a window ending among them.
    clock: () => MID_MINUTE,
    logger,
    registry: createMetrics().registry,
    readiness: {},
    enqueueResync: async () => {
      started.resyncs += 1;
      return { jobId: `job-${started.resyncs}`, existing: false, jobs: [] };
    },
    dashboardQueues: [],
    webhook: {
      secrets: [{ account: 'default', secret: SECRET }],
      perSourcePerMinute,
      enqueue: async ({ calendarId }) => {
        events.push(calendarId);
        return { jobId: `event-${events.length}`, coalesced: false };
      },
    },
    ...rest,
  });
  started.url = (await server.start()).url;
  started.close = () => server.close();
  servers.push(started);
  return started;
}

/** A call through the proxy: from its address, with the caller it saw in X-Forwarded-For. */
function webhook(server: Started, secret: string, forwardedFor?: string) {
  return fetch(`${server.url}/webhooks/timetap/${secret}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
    },
    body: JSON.stringify({ calendarId: 4242 }),
  });
}

function resync(server: Started, token: string, forwardedFor?: string) {
  return fetch(`${server.url}/resync`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
    },
  });
}

const statuses = async (calls: Array<Promise<Response>>) => (await Promise.all(calls)).map((r) => r.status);

describe('behind one proxy, TRUST_PROXY unset: every caller has the proxy’s address', () => {
  it('25 wrong webhook secrets a minute never refuse TimeTap’s real calls', async () => {
    const server = await start();
    const guesses = await statuses(Array.from({ length: 25 }, (_, i) => webhook(server, `guess-${i}`)));
    expect(guesses.filter((s) => s === 401)).toHaveLength(20);
    expect(guesses.filter((s) => s === 429)).toHaveLength(5);
    expect((await webhook(server, SECRET)).status).toBe(200);
    expect(server.events).toEqual([4242]);
  });

  it('a guesser of the admin token never locks the admin out of /resync or the dashboard', async () => {
    const server = await start();
    const guesses = await statuses(Array.from({ length: 12 }, (_, i) => resync(server, `guess-${i}`)));
    expect(guesses.slice(-2)).toEqual([429, 429]);
    expect((await resync(server, TOKEN)).status).toBe(202);
    for (let i = 0; i < 21; i++) {
      await fetch(`${server.url}/admin/queues`, { headers: { authorization: `Bearer guess-${i}` } });
    }
    const dashboard = await fetch(`${server.url}/admin/queues/api/queues`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(dashboard.status).toBe(200);
  });

  it('ignores X-Forwarded-For: a guesser cannot escape its lockout by writing another address', async () => {
    const server = await start();
    for (let i = 0; i < 20; i++) await webhook(server, `guess-${i}`, `198.51.100.${i}`);
    expect((await webhook(server, 'one-more-guess', '203.0.113.250')).status).toBe(429);
  });
});

describe('TRUST_PROXY=1: the limiters see the caller the proxy saw', () => {
  it('locks out the guessing caller only; another caller’s wrong secret is still a plain 401', async () => {
    const server = await start({ trustProxy: 1 });
    const guesser = '203.0.113.9';
    for (let i = 0; i < 20; i++) expect((await webhook(server, `guess-${i}`, guesser)).status).toBe(401);
    expect((await webhook(server, 'guess-20', guesser)).status).toBe(429);
    expect((await webhook(server, 'a-typo', '198.51.100.7')).status).toBe(401);
    // Twelve wrong admin tokens from the guesser: only the guesser's next guesses wait.
    await statuses(Array.from({ length: 12 }, (_, i) => resync(server, `guess-${i}`, guesser)));
    expect((await resync(server, 'guess-12', guesser)).status).toBe(429);
    expect((await resync(server, 'a-typo', '198.51.100.7')).status).toBe(401);
  });

  it('counts WEBHOOK_RATE_LIMIT per caller, not for everyone behind the proxy together', async () => {
    const server = await start({ trustProxy: 1, perSourcePerMinute: 3 });
    const busy = await statuses(Array.from({ length: 4 }, () => webhook(server, SECRET, '203.0.113.20')));
    expect(busy).toEqual([200, 200, 200, 429]);
    expect((await webhook(server, SECRET, '203.0.113.21')).status).toBe(200);
  });

  it('trusts one hop only: what a caller wrote before the proxy’s own entry does not count', async () => {
    const server = await start({ trustProxy: 1 });
    const guesser = '203.0.113.9';
    for (let i = 0; i < 20; i++) await webhook(server, `guess-${i}`, `10.0.0.${i}, ${guesser}`);
    expect((await webhook(server, 'guess-20', `192.0.2.1, ${guesser}`)).status).toBe(429);
  });
});
