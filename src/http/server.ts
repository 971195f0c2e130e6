/**
 * The worker's HTTP endpoints: /healthz, /readyz, /metrics, POST /resync, the status page at /,
 * the /admin/queues dashboard and TimeTap's webhook. It knows neither the database nor the queue
 * internals: readiness, enqueueing, the status page's data and the queues to show are injected.
 * Without an admin token the admin endpoints stay off.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Queue } from 'bullmq';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { createTokenCheck } from './auth.js';
import { createDashboardGuard, DASHBOARD_PATH } from './dashboard-guard.js';
import { createReadyz, healthz, type ReadinessChecks } from './health.js';
import { createRateLimiter } from './rate-limit.js';
import { createResyncRoute, type EnqueueResync } from './resync-route.js';
import { createStatusRoute, type ReadStatusPage } from './status-page.js';
import { createWebhookRoute, WEBHOOK_PATH, type WebhookRouteDeps } from './webhook-route.js';

/**
 * Budgets of `POST /resync`, per window. Failed and successful authentications never share one:
 * otherwise anyone could spend the budget with wrong tokens and get the admin's right one a 429.
 * The failure budget makes an address that keeps guessing wait for its next guesses; the right
 * token is never refused by it (behind a proxy every caller has the proxy's address).
 */
export interface ResyncLimits {
  /** Failed authentications per client address; past it, that address waits even with the token. */
  failuresPerClient: number;
  /** Authenticated requests from all clients together (each may queue a sync). */
  authorized: number;
  windowMs: number;
}

const DEFAULT_RESYNC_LIMITS: ResyncLimits = {
  failuresPerClient: 10,
  authorized: 30,
  windowMs: 60_000,
};
/** How long a scrape waits for the scrape-time gauges; Prometheus' own timeout is 10 s by default. */
export const METRICS_REFRESH_TIMEOUT_MS = 3_000;
/** Failed dashboard logins per client address per minute. */
const DASHBOARD_FAILURES_PER_MINUTE = 20;
/** Webhook calls with a wrong secret per client address per minute. */
const WEBHOOK_FAILURES_PER_MINUTE = 20;

/** The webhook endpoint, on when any account has a webhook secret. */
export type WebhookOptions = Pick<WebhookRouteDeps, 'secrets' | 'enqueue' | 'record' | 'metrics'> & {
  /** Calls per source address per minute (WEBHOOK_RATE_LIMIT). */
  perSourcePerMinute: number;
};

export interface HttpServerDeps {
  host: string;
  port: number;
  adminToken: string | undefined;
  logger: Logger;
  registry: Registry;
  /** One check per dependency, named as the README names it: `database`, `redis`, `worker`. */
  readiness: ReadinessChecks;
  enqueueResync: EnqueueResync;
  /** BullMQ queues for the dashboard; may be empty. */
  dashboardQueues: Queue[];
  /** What the status page at `GET /` shows; without it there is no page. */
  statusPage?: ReadStatusPage;
  readinessTimeoutMs?: number;
  /**
   * Sets the gauges that say what is true now (the mirror's freshness, the dependencies) before
   * `/metrics` answers; bounded by METRICS_REFRESH_TIMEOUT_MS, after which the last values are served.
   */
  refreshMetrics?: () => Promise<void>;
  resyncLimits?: ResyncLimits;
  /**
   * The clock of the limiters' windows (default Date.now). A test holds it still, so that a
   * window's end (on the minute) cannot fall between its guesses and reset their count.
   */
  clock?: () => number;
  webhook?: WebhookOptions;
  /**
   * Proxies in front of the worker whose X-Forwarded-For is believed (TRUST_PROXY): the limiters
   * then see each caller's own address instead of the proxy's. 0 (the default): the socket's
   * address, whatever a caller writes in that header.
   */
  trustProxy?: number;
}

export interface HttpServer {
  start(): Promise<{ url: string }>;
  close(): Promise<void>;
}

export function createHttpServer(deps: HttpServerDeps): HttpServer {
  const logger = deps.logger.child({ component: 'http' });
  const app = createApp({ ...deps, logger });
  const server: Server = createServer(app);
  // Bounds how long a slow client can hold a socket; none of these endpoints needs long.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  return {
    start() {
      return new Promise((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        server.once('error', onError);
        server.listen(deps.port, deps.host, () => {
          server.off('error', onError);
          server.on('error', (error) => logger.error({ err: error.message }, 'http server error'));
          const { address, port } = server.address() as AddressInfo;
          const host = address.includes(':') ? `[${address}]` : address;
          resolve({ url: `http://${host}:${port}` });
        });
      });
    },
    close() {
      if (!server.listening) return Promise.resolve();
      return new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets (browsers, probes) would otherwise hold close() open until they time out.
        server.closeAllConnections();
      });
    },
  };
}

function createApp(deps: HttpServerDeps): express.Express {
  const { logger } = deps;
  const now = deps.clock ?? Date.now;
  const app = express();
  app.disable('x-powered-by');
  // Express reads the caller from X-Forwarded-For, `trustProxy` hops from the socket (req.ip).
  app.set('trust proxy', deps.trustProxy ?? 0);
  app.use(requestLog(logger));

  app.get('/healthz', healthz);
  app.get('/readyz', createReadyz({ checks: deps.readiness, timeoutMs: deps.readinessTimeoutMs, logger }));
  app.get('/metrics', async (_req, res) => {
    if (deps.refreshMetrics) await withinTime(deps.refreshMetrics(), METRICS_REFRESH_TIMEOUT_MS);
    const text = await deps.registry.metrics();
    res.set('Cache-Control', 'no-store').type(deps.registry.contentType).send(text);
  });

  if (deps.adminToken) {
    const tokenCheck = createTokenCheck(deps.adminToken);
    const limits = deps.resyncLimits ?? DEFAULT_RESYNC_LIMITS;
    const resync = createResyncRoute({
      tokenCheck,
      failures: createRateLimiter({ limit: limits.failuresPerClient, windowMs: limits.windowMs, now }),
      authorized: createRateLimiter({ limit: limits.authorized, windowMs: limits.windowMs, now }),
      enqueueResync: deps.enqueueResync,
      logger,
    });
    app.post('/resync', resync);
    app.all('/resync', (_req, res) => {
      res.set('Allow', 'POST').status(405).json({ error: 'use POST /resync' });
    });
    // The status page and the dashboard are one admin's two pages: one budget of failed logins.
    const failures = createRateLimiter({ limit: DASHBOARD_FAILURES_PER_MINUTE, windowMs: 60_000, now });
    const guard = createDashboardGuard(tokenCheck, failures);
    app.use(DASHBOARD_PATH, guard, createLazyDashboard(deps.dashboardQueues));
    if (deps.statusPage) app.get('/', guard, createStatusRoute(deps.statusPage));
  } else {
    const off = (_req: Request, res: Response) => {
      res.status(403).json({
        error: 'ADMIN_TOKEN is not set: POST /resync, /admin/queues and the status page are turned off',
      });
    };
    app.all('/resync', off);
    app.use(DASHBOARD_PATH, off);
    app.get('/', off);
  }

  if (deps.webhook) {
    const { perSourcePerMinute, ...webhook } = deps.webhook;
    const route = createWebhookRoute({
      ...webhook,
      perSource: createRateLimiter({ limit: perSourcePerMinute, windowMs: 60_000, now }),
      failures: createRateLimiter({ limit: WEBHOOK_FAILURES_PER_MINUTE, windowMs: 60_000, now }),
      logger,
    });
    app.post(`${WEBHOOK_PATH}/:secret`, route);
    app.all(`${WEBHOOK_PATH}/:secret`, (_req, res) => {
      res.set('Allow', 'POST').status(405).json({ error: 'webhooks are POSTed' });
    });
  } else {
    app.use(WEBHOOK_PATH, (_req, res) => {
      res.status(404).json({
        error: 'no account has a webhook secret (WEBHOOK_SECRET): the webhook endpoint is off',
      });
    });
  }

  app.use((req, res) => {
    res.status(404).json({ error: `no route for ${req.method} ${pathOf(req)}` });
  });
  // Four parameters make this Express's error handler; it keeps stacks and headers out of answers.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = httpStatusOf(error);
    if (status >= 500) {
      logger.error(
        { err: error instanceof Error ? error.message : String(error), path: pathOf(req) },
        'http handler failed',
      );
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).json({ error: status >= 500 ? 'internal error' : 'bad request' });
  });
  return app;
}

/**
 * Bull Board, imported on the first request that passed the guard rather than at start
 * (dashboard.ts says why). An import that failed is tried again by the next request.
 */
function createLazyDashboard(queues: Queue[]): RequestHandler {
  let loading: Promise<RequestHandler> | undefined;
  return (req, res, next) => {
    loading ??= import('./dashboard.js').then(
      ({ createDashboardRouter }) => createDashboardRouter(queues),
      (error: unknown) => {
        loading = undefined;
        throw error;
      },
    );
    loading.then((router) => router(req, res, next), next);
  };
}

/** Method, path (never the query string, never headers), status and duration, at debug level. */
function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.debug(
        { method: req.method, path: pathOf(req), status: res.statusCode, ms: Math.round(ms * 10) / 10 },
        'http request',
      );
    });
    next();
  };
}

/**
 * The path for a log line or an answer: never the query string, never the webhook's secret. The
 * router matches paths case-insensitively and decodes what it matches, so `/WEBHOOKS/TimeTap/`
 * and a secret written `%61%62...` reach the webhook too: the path is masked when it is a webhook
 * path however it is spelt.
 */
function pathOf(req: Request): string {
  const path = (req.originalUrl.split('?')[0] ?? '').slice(0, 200);
  return isWebhookPath(path) ? `${WEBHOOK_PATH}/:secret` : path;
}

function isWebhookPath(path: string): boolean {
  let decoded = path;
  // A few rounds: a double-encoded prefix is decoded by nobody, but costs nothing to recognise.
  for (let round = 0; round < 3; round++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      break;
    }
    if (next === decoded) break;
    decoded = next;
  }
  return decoded
    .replace(/\/{2,}/g, '/')
    .toLowerCase()
    .startsWith(`${WEBHOOK_PATH}/`);
}

/** Waits for `work` at most `ms`; its failure is its own to report. */
async function withinTime(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([
      work.then(
        () => undefined,
        () => undefined,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function httpStatusOf(error: unknown): number {
  if (typeof error === 'object' && error !== null) {
    const status =
      (error as { status?: unknown; statusCode?: unknown }).status ??
      (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 600) return status;
  }
  return 500;
}
