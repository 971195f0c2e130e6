/**
 * The Bull Board queue dashboard at /admin/queues, behind the admin token. Browsers can only
 * prompt for basic auth, so the token is accepted as the basic-auth password (any user name) as
 * well as a bearer header. Actions (retry, clean, pause) stay enabled: whoever holds the token
 * already controls the worker.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import { type NextFunction, type Request, type Response, Router } from 'express';
import { AUTH_REALM, parseCredentials, type TokenCheck } from './auth.js';
import { isCrossSiteWrite } from './cross-site.js';
import type { RateLimiter } from './rate-limit.js';

export const DASHBOARD_PATH = '/admin/queues';

export function createDashboardRouter(deps: {
  queues: Queue[];
  tokenCheck: TokenCheck;
  /** Counts failed authentications per client address; past the limit even a right token waits. */
  failures: RateLimiter;
}): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: deps.queues.map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'timetap-sync' } },
  });
  const router = Router();
  router.use(createDashboardGuard(deps.tokenCheck, deps.failures));
  router.use(serverAdapter.getRouter());
  return router;
}

function createDashboardGuard(tokenCheck: TokenCheck, failures: RateLimiter) {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.set('Cache-Control', 'no-store');
    // First, so that a hostile page cannot burn the admin's budget of failed attempts either.
    if (isCrossSiteWrite(req)) {
      res.status(403).type('text/plain').send('cross-site requests may not change the queues\n');
      return;
    }
    const client = req.socket.remoteAddress ?? 'unknown';
    const blocked = failures.peek(client);
    if (!blocked.allowed) {
      res.set('Retry-After', String(blocked.retryAfterSeconds));
      res.status(429).type('text/plain').send('too many failed authentications; try again later\n');
      return;
    }
    if (!tokenCheck.matches(parseCredentials(req.headers.authorization))) {
      // A browser's first request carries no credentials (it asks for them after this 401): only
      // a presented, wrong token counts as a failed attempt.
      if (req.headers.authorization !== undefined) failures.take(client);
      res.set('WWW-Authenticate', `Basic realm="${AUTH_REALM}"`);
      res.status(401).type('text/plain').send('authentication required: the password is ADMIN_TOKEN\n');
      return;
    }
    next();
  };
}
