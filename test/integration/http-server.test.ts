/**
 * The worker's HTTP endpoints over real HTTP (port 0). Readiness and enqueueing are the injected
 * dependencies, so they are plain functions here; the dashboard shows a real BullMQ queue on the
 * test Redis.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHttpServer, type HttpServerDeps } from '../../src/http/server.js';
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
  metrics.syncRuns.inc({ scope: 'full', status: 'succeeded' });
  const server = createHttpServer({
    host: '127.0.0.1',
    port: 0,
    adminToken: TOKEN,
    logger,
    registry,
    readiness: async () => ({ postgres: true, redis: true, worker: true }),
    enqueueResync: async (request) => {
      enqueued.push(request);
      return { jobId: `job-${enqueued.length}`, existing: false };
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
      readiness: async () => ({ postgres: true, redis: 'timeout', worker: false }),
    });
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    const body = await jsonOf(res);
    expect(body.down).toEqual(['redis', 'worker']);
    expect(body.checks).toEqual({ postgres: true, redis: 'timeout', worker: false });
  });

  it('answers /readyz with 503, not a hang, when a check never resolves', async () => {
    const { url } = await start({ readiness: () => new Promise(() => {}), readinessTimeoutMs: 200 });
    const started = Date.now();
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await jsonOf(res)).status).toBe('not ready');
  });

  it('answers /readyz with 503 when the checks throw', async () => {
    const { url } = await start({ readiness: () => Promise.reject(new Error('boom')) });
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.text()).not.toContain('boom');
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
    expect(text).toContain('timetap_sync_runs_total{scope="full",status="succeeded"} 1');
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
    expect(await res.json()).toEqual({ jobId: 'job-1', existing: false });
    expect(server.enqueued).toEqual([{}]);
    expect((await resync(server.url, '{}')).status).toBe(202);
    expect(server.enqueued).toEqual([{}, {}]);
  });

  it('passes the locationId through and returns the existing job id as given', async () => {
    const server = await start({
      enqueueResync: async (request) => ({ jobId: `loc-${request.locationId}`, existing: true }),
    });
    const res = await resync(server.url, JSON.stringify({ locationId: 42 }));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ jobId: 'loc-42', existing: true });
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

  it('answers 503 when the job cannot be queued', async () => {
    const server = await start({ enqueueResync: () => Promise.reject(new Error('redis down')) });
    const res = await resync(server.url);
    expect(res.status).toBe(503);
    expect(await res.text()).not.toContain('redis down');
  });

  it('throttles a flood past the limit, unauthorized attempts included', async () => {
    const server = await start({ resyncLimits: { perClient: 3, global: 100, windowMs: 60_000 } });
    expect((await resync(server.url, undefined, bearer('guess-1'))).status).toBe(401);
    expect((await resync(server.url, undefined, bearer('guess-2'))).status).toBe(401);
    expect((await resync(server.url)).status).toBe(202);
    const res = await resync(server.url);
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(server.enqueued).toHaveLength(1);
  });

  it('throttles all clients together past the global limit', async () => {
    const server = await start({ resyncLimits: { perClient: 100, global: 2, windowMs: 60_000 } });
    expect((await resync(server.url)).status).toBe(202);
    expect((await resync(server.url)).status).toBe(202);
    expect((await resync(server.url)).status).toBe(429);
  });

  it('answers 405 to other methods', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/resync`, { headers: bearer() });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});

describe('without ADMIN_TOKEN', () => {
  it('keeps /resync and /admin/queues off, saying why', async () => {
    const server = await start({ adminToken: undefined });
    for (const res of [
      await resync(server.url, undefined, bearer('anything')),
      await fetch(`${server.url}/admin/queues`),
      await fetch(`${server.url}/admin/queues/api/queues`, { headers: basic('a', 'b') }),
    ]) {
      expect(res.status).toBe(403);
      expect((await jsonOf(res)).error).toContain('ADMIN_TOKEN is not set');
    }
    expect(server.enqueued).toEqual([]);
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

  it('throttles repeated failed logins', async () => {
    const { url } = await start({ dashboardQueues: [queue] });
    let last = 0;
    for (let i = 0; i < 21; i++) {
      last = (await fetch(`${url}/admin/queues`, { headers: basic('ops', `guess-${i}`) })).status;
    }
    expect(last).toBe(429);
    expect((await fetch(`${url}/admin/queues`, { headers: basic('ops', TOKEN) })).status).toBe(429);
  });
});

describe('close', () => {
  it('does not wait for open connections, in-flight requests included', async () => {
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const server = await start({
      readiness: () => {
        arrived();
        return new Promise(() => {});
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
