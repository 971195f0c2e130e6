/**
 * The worker's HTTP endpoints over real HTTP (port 0). Readiness and enqueueing are the injected
 * dependencies, so they are plain functions here; the dashboard shows a real BullMQ queue on the
 * test Redis.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { UnknownAccountError } from '../../src/account.js';
import { createHttpServer, type HttpServerDeps, METRICS_REFRESH_TIMEOUT_MS } from '../../src/http/server.js';
import type { StatusPageData } from '../../src/http/status-page.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { createRedactor } from '../../src/redact.js';

const TOKEN = `admin-${randomBytes(12).toString('hex')}`;
const logLines: string[] = [];
// No secret is registered with the redactor: the test proves the server never logs the token itself.
const logger = createLogger({
  level: 'debug',
  redactor: createRedactor(),
  destination: { write: (line: string) => void logLines.push(line) },
});

interface Started {
  url: string;
  close(): Promise<void>;
  enqueued: Array<{ locationId?: number }>;
}

const servers: Started[] = [];

async function start(overrides: Partial<HttpServerDeps> = {}): Promise<Started> {
  const enqueued: Array<{ locationId?: number }> = [];
  const { registry, metrics } = createMetrics();
  metrics.syncRuns.inc({ account: 'default', scope: 'full', status: 'succeeded' });
  const server = createHttpServer({
    host: '127.0.0.1',
    port: 0,
    adminToken: TOKEN,
    logger,
    registry,
    readiness: { database: async () => true, redis: async () => true, worker: async () => true },
    enqueueResync: async (request) => {
      enqueued.push(request);
      const jobId = `job-${enqueued.length}`;
      return { jobId, existing: false, jobs: [{ account: 'default', jobId, existing: false }] };
    },
    dashboardQueues: [],
    ...overrides,
  });
  const { url } = await server.start();
  const started = { url, close: () => server.close(), enqueued };
  servers.push(started);
  return started;
}

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

afterAll(() => {
  expect(logLines.length).toBeGreaterThan(0);
  const all = logLines.join('');
  expect(all).not.toContain(TOKEN);
  expect(all).not.toContain(Buffer.from(`admin:${TOKEN}`).toString('base64'));
});

interface ErrorOrStatusBody {
  error?: string;
  status?: string;
  down?: string[];
  checks?: Record<string, boolean | string>;
}
const jsonOf = async (res: Response) => (await res.json()) as ErrorOrStatusBody;

const bearer = (token = TOKEN) => ({ authorization: `Bearer ${token}` });
const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

function resync(url: string, body?: string, headers: Record<string, string> = bearer()) {
  return fetch(`${url}/resync`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body }),
  });
}

/** POST /resync from another loopback address (Linux routes all of 127/8): another client. */
function resyncFrom(url: string, from: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      new URL('/resync', url),
      { method: 'POST', localAddress: from, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}

describe('health and metrics', () => {
  it('answers /healthz with 200 ok', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
  });

  it('answers /readyz with 200 when every check is true', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ready', down: [] });
  });

  it('answers /readyz with 503 naming the failing checks', async () => {
    const { url } = await start({
      readiness: {
        database: async () => true,
        redis: async () => 'unreachable',
        worker: async () => 'not consuming',
      },
    });
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    const body = await jsonOf(res);
    expect(body.down).toEqual(['redis', 'worker']);
    expect(body.checks).toEqual({ database: true, redis: 'unreachable', worker: 'not consuming' });
  });

  it('times each check out on its own: a hung Redis is named, and the database still answers', async () => {
    const { url } = await start({
      readiness: {
        database: async () => true,
        redis: () => new Promise(() => {}),
        worker: async () => true,
      },
      readinessTimeoutMs: 200,
    });
    const started = Date.now();
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(2_000);
    const body = await jsonOf(res);
    expect(body.status).toBe('not ready');
    expect(body.down).toEqual(['redis']);
    expect(body.checks).toEqual({ database: true, redis: 'no answer within 200 ms', worker: true });
  });

  it('answers /readyz with the kind of failure of a check that throws, never its text', async () => {
    // What Prisma throws when Postgres is gone: several lines, with the host.
    const prismaError = Object.assign(
      new Error(
        "\nInvalid `prisma.$queryRaw()` invocation:\n\n\nRaw query failed. Message: `Can't reach database server at db.internal:5432`",
      ),
      { code: 'P2010', meta: { driverAdapterError: { cause: { kind: 'DatabaseNotReachable' } } } },
    );
    const { url } = await start({
      readiness: {
        database: () => Promise.reject(prismaError),
        redis: () => Promise.reject(new Error('boom redis://:hunter2@cache.internal:6379')),
        worker: async () => true,
      },
    });
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    const text = await res.text();
    for (const leak of ['boom', 'db.internal', 'cache.internal', 'hunter2', 'prisma', '\\n']) {
      expect(text).not.toContain(leak);
    }
    expect(JSON.parse(text)).toEqual({
      status: 'not ready',
      down: ['database', 'redis'],
      checks: { database: 'connection refused', redis: 'error', worker: true },
    });
  });

  it('serves the Prometheus metrics', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    for (const name of [
      'timetap_sync_runs_total',
      'timetap_sync_run_duration_seconds',
      'timetap_sync_rows_total',
      'timetap_sync_api_calls_total',
      'timetap_sync_api_retries_total',
      'timetap_sync_relogins_total',
      'timetap_sync_last_success_timestamp_seconds',
      'timetap_sync_jobs_total',
      'process_cpu_seconds_total',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toContain('timetap_sync_runs_total{account="default",scope="full",status="succeeded"} 1');
  });

  it('sets the scrape-time gauges before answering /metrics; a refresh that hangs delays it only so long', async () => {
    const { registry, metrics } = createMetrics();
    let refreshes = 0;
    const { url } = await start({
      registry,
      refreshMetrics: async () => {
        refreshes += 1;
        metrics.mirrorAge.set({ account: 'default', scope: 'full' }, 60 * refreshes);
      },
    });
    await fetch(`${url}/metrics`);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toContain('timetap_sync_mirror_age_seconds{account="default",scope="full"} 120');

    const hung = await start({ registry, refreshMetrics: () => new Promise(() => undefined) });
    const started = Date.now();
    const res = await fetch(`${hung.url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('timetap_sync_mirror_age_seconds{account="default",scope="full"} 120');
    expect(Date.now() - started).toBeGreaterThanOrEqual(METRICS_REFRESH_TIMEOUT_MS - 50);
    expect(Date.now() - started).toBeLessThan(METRICS_REFRESH_TIMEOUT_MS + 2_000);
  });

  it('answers unknown paths with 404', async () => {
    const { url } = await start();
    expect((await fetch(`${url}/nope?secret=1`)).status).toBe(404);
  });
});

describe('POST /resync', () => {
  it('refuses a request without a token', async () => {
    const server = await start();
    const res = await resync(server.url, undefined, {});
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
    expect(server.enqueued).toEqual([]);
  });

  it('refuses a wrong token, of any length', async () => {
    const server = await start();
    const sameLength = `${TOKEN.slice(0, -1)}${TOKEN.endsWith('0') ? '1' : '0'}`;
    expect(sameLength).toHaveLength(TOKEN.length);
    for (const token of ['nope', sameLength, `${TOKEN}x`]) {
      expect((await resync(server.url, undefined, bearer(token))).status).toBe(401);
    }
    expect((await resync(server.url, undefined, { authorization: TOKEN })).status).toBe(401);
    expect(server.enqueued).toEqual([]);
  });

  it('queues a full resync with a valid bearer token and returns the job id', async () => {
    const server = await start();
    const res = await resync(server.url);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({
      jobId: 'job-1',
      existing: false,
      jobs: [{ account: 'default', jobId: 'job-1', existing: false }],
    });
    expect(server.enqueued).toEqual([{}]);
    expect((await resync(server.url, '{}')).status).toBe(202);
    expect(server.enqueued).toEqual([{}, {}]);
  });

  it('passes the locationId through and returns the existing job id as given', async () => {
    const server = await start({
      enqueueResync: async (request) => {
        const jobId = `loc-${request.locationId}`;
        return {
          jobId,
          existing: true,
          jobs: [{ account: request.account ?? 'default', jobId, existing: true }],
        };
      },
    });
    const res = await resync(server.url, JSON.stringify({ locationId: 42 }));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({
      jobId: 'loc-42',
      existing: true,
      jobs: [{ account: 'default', jobId: 'loc-42', existing: true }],
    });
  });

  it('passes the account through, and answers 400 when the enqueuer knows no such account', async () => {
    const server = await start();
    expect((await resync(server.url, JSON.stringify({ account: 'north', locationId: 3 }))).status).toBe(202);
    expect(server.enqueued).toEqual([{ account: 'north', locationId: 3 }]);
    const unknown = await start({
      enqueueResync: () => Promise.reject(new UnknownAccountError('west')),
    });
    const res = await resync(unknown.url, JSON.stringify({ account: 'west' }));
    expect(res.status).toBe(400);
    expect((await jsonOf(res)).error).toBe('account "west" is not configured');
  });

  it('accepts the token as a basic-auth password', async () => {
    const server = await start();
    expect((await resync(server.url, undefined, basic('ops', TOKEN))).status).toBe(202);
  });

  it.each([
    ['bad JSON', '{"locationId":', 'not valid JSON'],
    ['an array', '[1]', 'JSON object'],
    ['null', 'null', 'JSON object'],
    ['another key', '{"locationId": 1, "force": true}', 'unknown field'],
    ['a string id', '{"locationId": "5"}', 'positive integer'],
    ['an account that is no name', '{"account": "North Shore"}', 'account name'],
    ['a float', '{"locationId": 1.5}', 'positive integer'],
    ['a negative id', '{"locationId": -3}', 'positive integer'],
    ['zero', '{"locationId": 0}', 'positive integer'],
    ['an unsafe integer', '{"locationId": 9007199254740993}', 'positive integer'],
    ['a huge body', JSON.stringify({ locationId: 1, pad: 'x'.repeat(2_000) }), 'larger than'],
  ])('answers 400 to %s', async (_name, body, message) => {
    const server = await start();
    const res = await resync(server.url, body);
    expect(res.status).toBe(400);
    expect((await jsonOf(res)).error).toContain(message);
    expect(server.enqueued).toEqual([]);
  });

  it('answers 400 to a huge chunked body without reading all of it', async () => {
    const server = await start();
    const chunk = new TextEncoder().encode(`{"locationId": 1, "pad": "${'x'.repeat(600)}`);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(chunk);
        controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await fetch(`${server.url}/resync`, {
      method: 'POST',
      headers: bearer(),
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(400);
    expect((await jsonOf(res)).error).toContain('larger than');
    expect(server.enqueued).toEqual([]);
  });

  it('answers 503 when the job cannot be queued, without the error text', async () => {
    const server = await start({
      enqueueResync: () => Promise.reject(new Error('redis down at redis://:hunter2@cache.internal:6379')),
    });
    const res = await resync(server.url);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('10');
    const text = await res.text();
    expect(text).toContain('Redis');
    for (const leak of ['redis down', 'hunter2', 'cache.internal']) expect(text).not.toContain(leak);
  });

  it('never lets failed authentications use up the budget of the right token', async () => {
    // The default limits; a flood of wrong tokens from four addresses, more than all budgets.
    const server = await start();
    for (const from of ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']) {
      const statuses = await Promise.all(
        Array.from({ length: 12 }, () => resyncFrom(server.url, from, bearer('guess'))),
      );
      expect(statuses.filter((s) => s === 401)).toHaveLength(10);
      expect(statuses.filter((s) => s === 429)).toHaveLength(2);
    }
    expect(await resyncFrom(server.url, '127.0.0.6', bearer())).toBe(202);
    expect((await resync(server.url)).status).toBe(202);
    expect(server.enqueued).toHaveLength(2);
  });

  it('makes an address with too many failed authentications wait for its next guesses, never the right token', async () => {
    const server = await start({ resyncLimits: { failuresPerClient: 3, authorized: 100, windowMs: 60_000 } });
    for (const guess of ['guess-1', 'guess-2', 'guess-3']) {
      expect(await resyncFrom(server.url, '127.0.0.7', bearer(guess))).toBe(401);
    }
    const res = await new Promise<{ status: number; retryAfter: string | undefined }>((resolve, reject) => {
      const req = httpRequest(
        new URL('/resync', server.url),
        { method: 'POST', localAddress: '127.0.0.7', headers: bearer('guess-4') },
        (r) => {
          r.resume();
          resolve({ status: r.statusCode ?? 0, retryAfter: r.headers['retry-after'] });
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(res.status).toBe(429);
    expect(Number(res.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(res.retryAfter)).toBeLessThanOrEqual(60);
    // The admin behind the same address (a proxy, a NAT) is not locked out by the guesser.
    expect(await resyncFrom(server.url, '127.0.0.7', bearer())).toBe(202);
    expect(await resyncFrom(server.url, '127.0.0.8', bearer())).toBe(202);
    expect(server.enqueued).toHaveLength(2);
  });

  it('does not count requests that present no token as failed attempts', async () => {
    const server = await start({ resyncLimits: { failuresPerClient: 2, authorized: 100, windowMs: 60_000 } });
    for (let i = 0; i < 5; i++) expect((await resync(server.url, undefined, {})).status).toBe(401);
    expect((await resync(server.url)).status).toBe(202);
  });

  it('gives authenticated requests a budget of their own, all clients together', async () => {
    const server = await start({ resyncLimits: { failuresPerClient: 100, authorized: 2, windowMs: 60_000 } });
    expect((await resync(server.url)).status).toBe(202);
    expect(await resyncFrom(server.url, '127.0.0.9', bearer())).toBe(202);
    const refused = await resync(server.url);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(server.enqueued).toHaveLength(2);
  });

  it("refuses a cross-site request that carries the browser's basic-auth credentials", async () => {
    const server = await start({ resyncLimits: { failuresPerClient: 1, authorized: 100, windowMs: 60_000 } });
    const crossSite: Array<Record<string, string>> = [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'null' },
    ];
    for (const headers of crossSite) {
      const res = await resync(server.url, undefined, { ...basic('ops', TOKEN), ...headers });
      expect(res.status).toBe(403);
      expect((await jsonOf(res)).error).toContain('cross-site');
      // Nor can a hostile page burn the admin's budget of failed attempts.
      expect((await resync(server.url, undefined, { ...basic('ops', 'wrong'), ...headers })).status).toBe(
        403,
      );
    }
    expect(server.enqueued).toEqual([]);
    const sameOrigin = { origin: server.url, 'sec-fetch-site': 'same-origin' };
    expect((await resync(server.url, undefined, { ...basic('ops', TOKEN), ...sameOrigin })).status).toBe(202);
    expect((await resync(server.url)).status).toBe(202); // curl and scripts send neither header
  });

  it('answers 405 to other methods', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/resync`, { headers: bearer() });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});

describe('without ADMIN_TOKEN', () => {
  it('keeps /resync, /admin/queues and the status page off, saying why', async () => {
    const server = await start({ adminToken: undefined, statusPage: async () => statusData('nothing') });
    for (const res of [
      await resync(server.url, undefined, bearer('anything')),
      await fetch(`${server.url}/`, { headers: basic('ops', 'anything') }),
      await fetch(`${server.url}/admin/queues`),
      await fetch(`${server.url}/admin/queues/api/queues`, { headers: basic('a', 'b') }),
    ]) {
      expect(res.status).toBe(403);
      expect((await jsonOf(res)).error).toContain('ADMIN_TOKEN is not set');
    }
    expect(server.enqueued).toEqual([]);
  });
});

/** A status page's data with one failed run whose reason is `reason`. */
function statusData(reason: string): StatusPageData {
  const at = new Date();
  return {
    generatedAt: at,
    accounts: [{ name: 'default', scheduleIntervalSeconds: 3600, freshness: [], requestRate: null }],
    runs: [
      {
        id: 3,
        account: 'default',
        scope: 'full',
        locationId: null,
        trigger: 'schedule',
        status: 'failed',
        startedAt: at,
        durationSeconds: 2,
        apiCalls: 1,
        reasons: reason,
      },
    ],
    webhooks: null,
    problems: [],
  };
}

describe('GET /, the status page', () => {
  const reason = 'TimeTap refused the keys <script>alert(1)</script>';
  const page = () => start({ statusPage: async () => statusData(reason) });

  it('asks for basic auth without the token, as the dashboard does', async () => {
    const { url } = await page();
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="timetap-sync"');
    expect(await res.text()).not.toContain('TimeTap refused');
    expect((await fetch(`${url}/`, { headers: basic('ops', 'wrong') })).status).toBe(401);
  });

  it('serves the page with the token: the failing run’s reason, escaped, under a policy that runs no script', async () => {
    const { url } = await page();
    for (const headers of [basic('ops', TOKEN), bearer()]) {
      const res = await fetch(`${url}/`, { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'sha256-/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      const text = await res.text();
      expect(text).toContain('TimeTap refused the keys &lt;script&gt;alert(1)&lt;/script&gt;');
      expect(text).not.toContain('<script');
    }
  });

  it('shares the dashboard’s budget of failed logins', async () => {
    const { url } = await page();
    for (let i = 0; i < 20; i++) await fetch(`${url}/`, { headers: basic('ops', `guess-${i}`) });
    expect((await fetch(`${url}/admin/queues`, { headers: basic('ops', 'guess-20') })).status).toBe(429);
  });

  it('is not there when the worker gives it no data', async () => {
    const { url } = await start();
    expect((await fetch(`${url}/`, { headers: bearer() })).status).toBe(404);
  });
});

describe('GET /admin/queues', () => {
  let redis: Redis;
  let queue: Queue;

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    queue = new Queue(`http-dashboard-${randomUUID()}`, { connection: redis });
    await queue.add('probe', { locationId: 1 });
  });

  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    await redis.quit();
  });

  it('asks for basic auth without credentials', async () => {
    const { url } = await start({ dashboardQueues: [queue] });
    for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
      const res = await fetch(`${url}${path}`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="timetap-sync"');
    }
    expect((await fetch(`${url}/admin/queues`, { headers: basic('ops', 'wrong') })).status).toBe(401);
  });

  it('serves the dashboard with the token as basic-auth password, any user name', async () => {
    const { url } = await start({ dashboardQueues: [queue] });
    for (const user of ['ops', '']) {
      const res = await fetch(`${url}/admin/queues`, { headers: basic(user, TOKEN) });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(await res.text()).toContain('<html');
    }
  });

  it('serves the dashboard and its API with a bearer token', async () => {
    const { url } = await start({ dashboardQueues: [queue] });
    const page = await fetch(`${url}/admin/queues`, { headers: bearer() });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const api = await fetch(`${url}/admin/queues/api/queues`, { headers: bearer() });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: Array<{ name: string }> };
    expect(body.queues.map((q) => q.name)).toContain(queue.name);
  });

  it('refuses cross-site changes even with credentials', async () => {
    const { url } = await start({ dashboardQueues: [queue] });
    const res = await fetch(`${url}/admin/queues/api/queues/pause`, {
      method: 'PUT',
      headers: { ...basic('ops', TOKEN), origin: 'https://evil.example' },
    });
    expect(res.status).toBe(403);
    expect(await queue.isPaused()).toBe(false);
  });

  it('refuses cross-site changes before authentication: they never count as failed logins', async () => {
    const { url } = await start({ dashboardQueues: [queue] });
    for (let i = 0; i < 25; i++) {
      const res = await fetch(`${url}/admin/queues/api/queues/pause`, {
        method: 'PUT',
        headers: { ...basic('ops', `guess-${i}`), 'sec-fetch-site': 'cross-site' },
      });
      expect(res.status).toBe(403);
    }
    expect((await fetch(`${url}/admin/queues`, { headers: basic('ops', TOKEN) })).status).toBe(200);
  });

  it('throttles repeated failed logins, never the right token', async () => {
    const { url } = await start({ dashboardQueues: [queue] });
    let last = 0;
    for (let i = 0; i < 21; i++) {
      last = (await fetch(`${url}/admin/queues`, { headers: basic('ops', `guess-${i}`) })).status;
    }
    expect(last).toBe(429);
    // Only the guesses wait: the right token still opens the dashboard from that address.
    expect((await fetch(`${url}/admin/queues`, { headers: basic('ops', TOKEN) })).status).toBe(200);
  });
});

describe('the webhook path in logs and answers', () => {
  it('is masked however it is spelt: in capitals, percent-encoded, with doubled slashes', async () => {
    const secret = randomBytes(16).toString('hex');
    const server = await start({
      webhook: {
        secrets: [{ account: 'default', secret }],
        perSourcePerMinute: 100,
        enqueue: async () => ({ jobId: 'event-1', coalesced: false }),
      },
    });
    const encoded = [...secret].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join('');
    const paths = [
      `/WEBHOOKS/TIMETAP/${secret}`,
      `/Webhooks/TimeTap/${encoded}`,
      `/webhooks/timetap/${encoded}/more`,
      `/webhooks//timetap/${secret}`,
      `/%77ebhooks/timetap/${secret}`,
    ];
    const before = logLines.length;
    const answers: string[] = [];
    for (const path of paths) {
      const res = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"calendarId": 5}',
      });
      answers.push(`${res.status} ${await res.text()}`);
    }
    // The router takes the first two for the webhook itself (it matches paths case-insensitively
    // and decodes the secret).
    expect(answers.slice(0, 2).map((a) => a.slice(0, 3))).toEqual(['200', '200']);
    const logged = logLines.slice(before).join('');
    expect(logged.match(/"path":"\/webhooks\/timetap\/:secret"/g)).toHaveLength(paths.length);
    for (const text of [logged, ...answers]) {
      expect(text).not.toContain(secret);
      expect(text.toLowerCase()).not.toContain(encoded.toLowerCase().slice(0, 12));
    }
  });
});

describe('close', () => {
  it('does not wait for open connections, in-flight requests included', async () => {
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const server = await start({
      readiness: {
        redis: () => {
          arrived();
          return new Promise(() => {});
        },
      },
      readinessTimeoutMs: 10_000,
    });
    await fetch(`${server.url}/healthz`);
    const inFlight = fetch(`${server.url}/readyz`);
    await requestArrived;
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(inFlight).rejects.toThrow();
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});
