/**
 * The worker's HTTP server with only its webhook route live, in front of a harness's worker: the
 * webhook and variants tests both post TimeTap's webhooks to it. The caller makes the metrics,
 * so that it can watch them (or attach more) before the server starts.
 */

import type { Registry } from 'prom-client';
import { webhookOptions } from '../../src/commands/worker.js';
import { loadConfig } from '../../src/config.js';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import type { WebhookSecret } from '../../src/http/webhook-route.js';
import type { Logger } from '../../src/logger.js';
import type { Metrics } from '../../src/metrics.js';
import type { SyncWorker } from '../../src/queue/worker.js';

export async function startWebhookServer(options: {
  worker: SyncWorker;
  /** The worker's environment (a harness's `env`), read for its Redis. */
  env: NodeJS.ProcessEnv;
  /** The default account's secret, or each account's (by name). */
  secret: string | readonly WebhookSecret[];
  logger: Logger;
  registry: Registry;
  metrics: Metrics;
}): Promise<{ http: HttpServer; hook: string; url: string }> {
  const secrets =
    typeof options.secret === 'string' ? [{ account: 'default', secret: options.secret }] : options.secret;
  const config = loadConfig(options.env, ['timetap', 'database', 'redis']);
  const http = createHttpServer({
    host: '127.0.0.1',
    port: 0,
    adminToken: undefined,
    logger: options.logger,
    registry: options.registry,
    readiness: {},
    enqueueResync: async () => ({ jobId: 'unused', existing: false, jobs: [] }),
    dashboardQueues: [],
    webhook: webhookOptions(secrets, options.worker, { config }, options.metrics),
  });
  const { url } = await http.start();
  return { http, hook: `${url}/webhooks/timetap/${secrets[0]?.secret ?? ''}`, url };
}
